import { useEffect, useRef } from 'react';
import {
  CandlestickSeries,
  ColorType,
  LineSeries,
  createChart,
  createSeriesMarkers,
  type ISeriesApi,
  type UTCTimestamp,
} from 'lightweight-charts';
import { describeChart, type ChartSpec } from '../../lib/chartSpec';
import { CHART_COLORS } from '../market/PriceChart';
import { pricePrecision, toChartBar } from '../market/chartBars';
import { overlaySeries, tradeMarkers } from './specChartData';

const LINE_COLORS = ['#f5c451', '#7cb7ff', '#c792ea', '#ff9e64', '#2ec4a5'];

/** Draws a chart the copilot sent: candles, indicator overlays and the user's trades. */
export function SpecChart({ spec }: { spec: ChartSpec }) {
  const containerRef = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const container = containerRef.current;
    if (!container) return;
    const chart = createChart(container, {
      autoSize: true,
      layout: {
        background: { type: ColorType.Solid, color: CHART_COLORS.background },
        textColor: CHART_COLORS.text,
        attributionLogo: true,
      },
      grid: { vertLines: { color: CHART_COLORS.grid }, horzLines: { color: CHART_COLORS.grid } },
      timeScale: { borderColor: CHART_COLORS.border, timeVisible: true, secondsVisible: false },
    });
    const precision = pricePrecision(spec.candles);
    const candles = chart.addSeries(CandlestickSeries, {
      upColor: CHART_COLORS.up,
      downColor: CHART_COLORS.down,
      borderVisible: false,
      wickUpColor: CHART_COLORS.up,
      wickDownColor: CHART_COLORS.down,
      priceFormat: { type: 'price', precision, minMove: 1 / 10 ** precision },
    }) as ISeriesApi<'Candlestick', UTCTimestamp>;
    candles.setData(spec.candles.map(toChartBar));
    overlaySeries(spec).forEach((overlay, i) => {
      const line = chart.addSeries(
        LineSeries,
        { color: LINE_COLORS[i % LINE_COLORS.length] ?? '#f5c451', lineWidth: 2, title: overlay.title, priceLineVisible: false },
        overlay.pane,
      );
      line.setData(overlay.points);
    });
    createSeriesMarkers(candles, tradeMarkers(spec));
    chart.timeScale().fitContent();
    container.dataset.candleCount = String(spec.candles.length);
    return () => chart.remove();
  }, [spec]);

  return <div ref={containerRef} className="spec-chart" data-testid="spec-chart" role="img" aria-label={describeChart(spec)} />;
}
