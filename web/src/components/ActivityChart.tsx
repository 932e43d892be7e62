import { BarChart } from '@mantine/charts';
import { Group, Paper, Text, VisuallyHidden } from '@mantine/core';
import { useState } from 'react';
import { ReferenceArea } from 'recharts';
import { useHistogram } from '../api/events.ts';
import { RESULT_COLORS, RESULT_LABELS } from '../lib/format.ts';
import type { Result } from '../lib/types.ts';

const DAY = 86_400_000;
const time = new Intl.DateTimeFormat(undefined, { hour: 'numeric', minute: '2-digit' });
const day = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric' });
const dayTime = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit' });

/** A bucket's label: its time of day for buckets shorter than a day (with the date where it changes), else its date. */
const bucketLabel = (iso: string, width: number, previous?: string) => {
  const date = new Date(iso);
  if (width >= DAY) return day.format(date);
  return previous && day.format(new Date(previous)) === day.format(date) ? time.format(date) : dayTime.format(date);
};

/**
 * Above the table: the entries matching the page's filters over its range, stacked by result,
 * with a tooltip per bucket. Dragging across buckets (or clicking one) narrows the range to them.
 */
export function ActivityChart({ query, onNarrow }: { query: string; onNarrow: (from: string, to: string) => void }) {
  const histogram = useHistogram(query);
  const [drag, setDrag] = useState<{ from: number; to: number } | null>(null);
  const answer = histogram.data;
  if (!answer) return <Paper withBorder h={150} aria-busy="true" />;
  const results = (Object.keys(RESULT_LABELS) as Result[]).filter((r) => answer.buckets.some((b) => b.counts[r]));
  const data = answer.buckets.map((b, i) => ({
    label: bucketLabel(b.start, answer.interval_ms, answer.buckets[i - 1]?.start),
    ...Object.fromEntries(results.map((r) => [r, b.counts[r] ?? 0])),
  }));
  const total = answer.buckets.reduce((n, b) => n + Object.values(b.counts).reduce((a, c) => a + (c ?? 0), 0), 0);
  const indexOf = (state: { activeTooltipIndex?: number } | null) => state?.activeTooltipIndex;
  const finish = () => {
    if (!drag) return;
    const [a, b] = [Math.min(drag.from, drag.to), Math.max(drag.from, drag.to)];
    setDrag(null);
    onNarrow(answer.buckets[a]!.start, answer.buckets[b]!.end);
  };
  return (
    // Never wider than the page, even before the chart has measured a narrower screen.
    <Paper withBorder p="xs" pb={0} style={{ overflow: 'hidden', minWidth: 0 }}>
      <Group justify="space-between" px={4}>
        <Text size="xs" c="dimmed">
          {total.toLocaleString()}{answer.capped ? '+' : ''} entries · drag across the chart to narrow the time range
        </Text>
      </Group>
      <div role="img" aria-label={`Activity: ${total} entries over ${answer.buckets.length} periods`} style={{ userSelect: 'none' }}>
        <BarChart
          h={130}
          data={data}
          dataKey="label"
          type="stacked"
          series={results.map((r) => ({ name: r, label: RESULT_LABELS[r], color: `${RESULT_COLORS[r]}.6` }))}
          withLegend={false}
          gridAxis="none"
          tickLine="none"
          yAxisProps={{ width: 36, allowDecimals: false }}
          xAxisProps={{ minTickGap: 24 }}
          barProps={{ isAnimationActive: false }}
          barChartProps={{
            onMouseDown: (state) => {
              const i = indexOf(state as never);
              if (i !== undefined) setDrag({ from: i, to: i });
            },
            onMouseMove: (state) => {
              const i = indexOf(state as never);
              if (drag && i !== undefined && i !== drag.to) setDrag({ ...drag, to: i });
            },
            onMouseUp: finish,
          }}
        >
          {drag && <ReferenceArea x1={data[Math.min(drag.from, drag.to)]!.label} x2={data[Math.max(drag.from, drag.to)]!.label} fillOpacity={0.15} />}
        </BarChart>
      </div>
      <VisuallyHidden>
        <ul aria-label="Activity per period">
          {answer.buckets.filter((b) => Object.keys(b.counts).length > 0).map((b) => (
            <li key={b.start} data-start={b.start}>
              {`${dayTime.format(new Date(b.start))}: `}
              {results.filter((r) => b.counts[r]).map((r) => `${b.counts[r]} ${RESULT_LABELS[r].toLowerCase()}`).join(', ')}
            </li>
          ))}
        </ul>
      </VisuallyHidden>
    </Paper>
  );
}
