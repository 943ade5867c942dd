import { explain } from "@/api/client";

export function ProblemNote({ error }: { error: unknown }) {
  if (!error) return null;
  const problems = (error as { problems?: string[] }).problems ?? [];
  return (
    <div role="alert" className="problem">
      <p>{explain(error)}</p>
      {problems.length > 0 && (
        <ul>
          {problems.map((problem) => (
            <li key={problem}>{problem}</li>
          ))}
        </ul>
      )}
    </div>
  );
}
