"use client";

import { useEffect, useRef } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

/** Bars of dollars per day (uPlot, a canvas), with the same figures in a table beside it for
 * screen readers and for copying. */
export function UsageChart({ label, points }: { label: string; points: { day: string; usd: number }[] }) {
  const chart = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const target = chart.current;
    if (!target || points.length === 0) return;
    const xs = points.map((point) => Date.parse(point.day) / 1000);
    const plot = new uPlot(
      {
        width: Math.min(target.clientWidth || 600, 720),
        height: 200,
        series: [{}, { label, stroke: "#5b3cc4", fill: "#5b3cc455", paths: uPlot.paths.bars?.({ size: [0.6, 40] }) }],
        axes: [{}, { values: (_, ticks) => ticks.map((tick) => `$${tick}`) }],
        legend: { show: false },
      },
      [xs, points.map((point) => point.usd)],
      target,
    );
    return () => plot.destroy();
  }, [label, points]);
  return (
    <figure>
      <div ref={chart} aria-hidden="true" />
      <figcaption>
        <table>
          <caption>{label}</caption>
          <thead>
            <tr>
              <th scope="col">Day</th>
              <th scope="col">USD</th>
            </tr>
          </thead>
          <tbody>
            {points.map((point) => (
              <tr key={point.day}>
                <td>{point.day.slice(0, 10)}</td>
                <td>{point.usd}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </figcaption>
    </figure>
  );
}
