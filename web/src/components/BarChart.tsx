"use client";

import { useEffect, useRef } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

/** Dollars per named thing as bars (uPlot, a canvas), with the same figures in a table for
 * screen readers and for copying. */
export function BarChart({ label, bars }: { label: string; bars: { name: string; usd: number }[] }) {
  const chart = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const target = chart.current;
    if (!target || bars.length === 0) return;
    const plot = new uPlot(
      {
        width: Math.min(target.clientWidth || 600, 720),
        height: 200,
        scales: { x: { time: false } },
        series: [{}, { label, stroke: "#5b3cc4", fill: "#5b3cc455", paths: uPlot.paths.bars?.({ size: [0.6, 60] }) }],
        axes: [
          { values: (_, ticks) => ticks.map((tick) => bars[Math.round(tick)]?.name ?? "") },
          { values: (_, ticks) => ticks.map((tick) => `$${tick}`) },
        ],
        legend: { show: false },
      },
      [bars.map((_, index) => index), bars.map((bar) => bar.usd)],
      target,
    );
    return () => plot.destroy();
  }, [label, bars]);
  return (
    <figure>
      <div ref={chart} aria-hidden="true" />
      <figcaption>
        <table>
          <caption>{label}</caption>
          <tbody>
            {bars.map((bar) => (
              <tr key={bar.name}>
                <th scope="row">{bar.name}</th>
                <td>${bar.usd}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </figcaption>
    </figure>
  );
}
