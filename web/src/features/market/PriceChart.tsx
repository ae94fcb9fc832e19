import { useEffect, useRef } from 'react';
import {
  CandlestickSeries,
  ColorType,
  CrosshairMode,
  createChart,
  createSeriesMarkers,
  type IChartApi,
  type ISeriesApi,
  type ISeriesMarkersPluginApi,
  type SeriesMarker,
  type UTCTimestamp,
} from 'lightweight-charts';
import type { Candle } from '../../lib/protocol';
import { planChartUpdate, pricePrecision, toChartBar } from './chartBars';

export const CHART_COLORS = {
  background: '#0f131a',
  text: '#aab3c2',
  grid: '#1b2230',
  border: '#2a3342',
  up: '#26a69a',
  down: '#ef5350',
} as const;

interface PriceChartProps {
  candles: readonly Candle[];
  /** Changing this (new symbol/interval) redraws from scratch and re-fits the view. */
  resetKey: string;
  label: string;
  /** Drawn over the bars (the user's fills); each must sit on a bar's time. */
  markers?: readonly SeriesMarker<UTCTimestamp>[];
}

const NO_MARKERS: readonly SeriesMarker<UTCTimestamp>[] = [];

/**
 * TradingView lightweight-charts candlestick chart. Sizes itself to its
 * container (autoSize uses a ResizeObserver). `data-candle-count` reflects
 * the number of bars the chart series actually holds, `data-marker-count` the markers drawn.
 */
export function PriceChart({ candles, resetKey, label, markers = NO_MARKERS }: PriceChartProps) {
  const containerRef = useRef<HTMLDivElement>(null);
  const chartRef = useRef<IChartApi | null>(null);
  const seriesRef = useRef<ISeriesApi<'Candlestick', UTCTimestamp> | null>(null);
  const markersRef = useRef<ISeriesMarkersPluginApi<UTCTimestamp> | null>(null);
  const drawnRef = useRef<{ key: string; candles: readonly Candle[]; precision: number }>({
    key: '',
    candles: [],
    precision: -1,
  });

  useEffect(() => {
    const container = containerRef.current;
    if (!container) return;
    const chart = createChart(container, {
      autoSize: true,
      layout: {
        background: { type: ColorType.Solid, color: CHART_COLORS.background },
        textColor: CHART_COLORS.text,
        fontFamily: 'Inter, system-ui, -apple-system, "Segoe UI", Roboto, sans-serif',
        attributionLogo: true,
      },
      grid: {
        vertLines: { color: CHART_COLORS.grid },
        horzLines: { color: CHART_COLORS.grid },
      },
      crosshair: { mode: CrosshairMode.Normal },
      rightPriceScale: { borderColor: CHART_COLORS.border },
      timeScale: { borderColor: CHART_COLORS.border, timeVisible: true, secondsVisible: false },
    });
    const series = chart.addSeries(CandlestickSeries, {
      upColor: CHART_COLORS.up,
      downColor: CHART_COLORS.down,
      borderUpColor: CHART_COLORS.up,
      borderDownColor: CHART_COLORS.down,
      wickUpColor: CHART_COLORS.up,
      wickDownColor: CHART_COLORS.down,
    }) as ISeriesApi<'Candlestick', UTCTimestamp>;
    chartRef.current = chart;
    seriesRef.current = series;
    markersRef.current = createSeriesMarkers(series, []);
    drawnRef.current = { key: '', candles: [], precision: -1 };
    container.dataset.candleCount = '0';
    container.dataset.markerCount = '0';
    return () => {
      chart.remove();
      chartRef.current = null;
      seriesRef.current = null;
      markersRef.current = null;
    };
  }, []);

  useEffect(() => {
    const series = seriesRef.current;
    const chart = chartRef.current;
    const container = containerRef.current;
    if (!series || !chart || !container) return;

    const drawn = drawnRef.current;
    const keyChanged = drawn.key !== resetKey;
    const plan = keyChanged ? ({ kind: 'reset' } as const) : planChartUpdate(drawn.candles, candles);

    const precision = pricePrecision(candles);
    if (precision !== drawn.precision) {
      series.applyOptions({ priceFormat: { type: 'price', precision, minMove: 1 / 10 ** precision } });
    }

    try {
      if (plan.kind === 'reset') {
        series.setData(candles.map(toChartBar));
        if (keyChanged) chart.timeScale().fitContent();
      } else if (plan.kind === 'update') {
        for (const { candle, historical } of plan.updates) series.update(toChartBar(candle), historical);
      }
    } catch (error) {
      // Should not happen (the plan only issues valid updates); fall back to a full redraw.
      console.warn('[chart] incremental update failed, redrawing', error);
      series.setData(candles.map(toChartBar));
    }

    drawnRef.current = { key: resetKey, candles, precision };
    container.dataset.candleCount = String(series.data().length);
  }, [candles, resetKey]);

  useEffect(() => {
    const plugin = markersRef.current;
    const container = containerRef.current;
    if (!plugin || !container) return;
    plugin.setMarkers(markers.slice());
    container.dataset.markerCount = String(plugin.markers().length);
  }, [markers, candles]);

  return (
    <div
      ref={containerRef}
      className="price-chart"
      data-testid="price-chart"
      role="img"
      aria-label={label}
    />
  );
}
