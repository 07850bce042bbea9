import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

/** A uPlot line chart over time (x in unix seconds); loaded only with the trends page. */
export function LineChart({
  x,
  series,
  label,
  yLabel,
  height = 220,
}: {
  x: number[];
  series: { label: string; values: (number | null)[]; color: string }[];
  label: string;
  yLabel: string;
  height?: number;
}) {
  const host = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = host.current;
    if (!el) return;
    const chart = new uPlot(
      {
        width: el.clientWidth || 600,
        height,
        series: [
          {},
          ...series.map((s) => ({
            label: s.label,
            stroke: s.color,
            width: 2,
            points: { show: true },
          })),
        ],
        axes: [{ stroke: 'currentColor' }, { label: yLabel, stroke: 'currentColor' }],
      },
      [x, ...series.map((s) => s.values)] as uPlot.AlignedData,
      el,
    );
    const resize = new ResizeObserver(() => chart.setSize({ width: el.clientWidth, height }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      chart.destroy();
    };
  }, [x, series, height, yLabel]);
  return <div ref={host} role="img" aria-label={label} />;
}
