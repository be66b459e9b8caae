package io.asterline.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.jooq.CSVFormat;
import org.jooq.Field;
import org.jooq.JSONFormat;
import org.jooq.Record;
import org.jooq.Result;
import org.jooq.TXTFormat;

/**
 * How a report's result is written: jOOQ's own text table, CSV, JSON (one object per row) or an HTML page.
 * A report that declares a chart gets one in the text table (bars) and in the HTML page (an SVG line
 * chart), because an hour-by-hour series reads better as a picture than as 168 rows.
 */
public enum ReportFormat {
  TABLE("text/plain; charset=utf-8"),
  CSV("text/csv; charset=utf-8"),
  JSON("application/json"),
  HTML("text/html; charset=utf-8");

  private static final int BAR_WIDTH = 40;
  private static final String[] COLOURS = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd"};

  private final String contentType;

  ReportFormat(String contentType) {
    this.contentType = contentType;
  }

  public String contentType() {
    return contentType;
  }

  public static ReportFormat parse(String value) {
    if (value == null || value.isBlank()) {
      return null;
    }
    try {
      return valueOf(value.strip().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new ReportException("format", "parameter format: expected table, csv, json or html, got '" + value + "'");
    }
  }

  public String write(Report report, Result<Record> result) {
    return switch (this) {
      case TABLE -> table(report, result);
      case CSV -> result.formatCSV(CSVFormat.DEFAULT.nullString(""));
      case JSON -> result.formatJSON(JSONFormat.DEFAULT_FOR_RESULTS.header(false)
          .recordFormat(JSONFormat.RecordFormat.OBJECT));
      case HTML -> html(report, result);
    };
  }

  private static String table(Report report, Result<Record> result) {
    StringBuilder out = new StringBuilder();
    out.append(report.title()).append('\n').append(report.description()).append("\n\n");
    out.append(result.format(TXTFormat.DEFAULT.maxRows(Integer.MAX_VALUE).maxColWidth(80)));
    if (!out.toString().endsWith("\n")) {
      out.append('\n');
    }
    out.append(result.size()).append(result.size() == 1 ? " row\n" : " rows\n");
    report.chart().ifPresent(chart -> {
      Series s = Series.of(report, chart, result);
      for (int y = 0; y < chart.ys().size(); y++) {
        out.append('\n').append(chart.ys().get(y)).append(" by ").append(chart.x()).append('\n');
        int labelWidth = s.labels.stream().mapToInt(String::length).max().orElse(1);
        for (int i = 0; i < s.labels.size(); i++) {
          double v = s.values.get(y)[i];
          int bar = s.max <= 0 || Double.isNaN(v) ? 0 : (int) Math.round(v / s.max * BAR_WIDTH);
          out.append(String.format("%-" + labelWidth + "s |%s %s%n", s.labels.get(i), "#".repeat(bar),
              Double.isNaN(v) ? "" : number(v)));
        }
      }
    });
    return out.toString();
  }

  private static String html(Report report, Result<Record> result) {
    StringBuilder out = new StringBuilder();
    out.append("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>").append(escape(report.title()))
        .append("</title>\n<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
            + "td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}</style></head><body>\n")
        .append("<h1>").append(escape(report.title())).append("</h1>\n<p>")
        .append(escape(report.description())).append("</p>\n");
    report.chart().ifPresent(chart -> out.append(svg(chart, Series.of(report, chart, result))).append('\n'));
    out.append(result.formatHTML()).append("\n</body></html>\n");
    return out.toString();
  }

  /** A line chart: x spread evenly by row, y from 0 to the largest value, a legend per series. */
  static String svg(Report.Chart chart, Series s) {
    int w = 900;
    int h = 320;
    int left = 60;
    int right = 20;
    int top = 20;
    int bottom = 50;
    double max = s.max <= 0 ? 1 : s.max;
    int n = s.labels.size();
    StringBuilder svg = new StringBuilder();
    svg.append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(w).append("\" height=\"").append(h)
        .append("\" viewBox=\"0 0 ").append(w).append(' ').append(h).append("\" role=\"img\">\n");
    svg.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#333\"/>%n",
        left, h - bottom, w - right, h - bottom));
    svg.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#333\"/>%n",
        left, top, left, h - bottom));
    svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"end\">%s</text>%n",
        left - 4, top + 4, number(max)));
    svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"end\">0</text>%n",
        left - 4, h - bottom));
    for (int i : n <= 1 ? new int[] {0} : new int[] {0, (n - 1) / 2, n - 1}) {
      if (i < n) {
        svg.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\">%s</text>%n",
            x(i, n, left, w - right), h - bottom + 16, escape(s.labels.get(i))));
      }
    }
    for (int y = 0; y < chart.ys().size(); y++) {
      String colour = COLOURS[y % COLOURS.length];
      StringBuilder points = new StringBuilder();
      double[] values = s.values.get(y);
      for (int i = 0; i < n; i++) {
        double v = Double.isNaN(values[i]) ? 0 : values[i];
        points.append(String.format(Locale.ROOT, "%.1f,%.1f ", x(i, n, left, w - right),
            (h - bottom) - v / max * (h - top - bottom)));
      }
      svg.append("<polyline fill=\"none\" stroke-width=\"2\" stroke=\"").append(colour).append("\" points=\"")
          .append(points.toString().strip()).append("\"><title>").append(escape(chart.ys().get(y)))
          .append("</title></polyline>\n");
      svg.append(String.format(Locale.ROOT,
          "<text x=\"%d\" y=\"%d\" font-size=\"12\" fill=\"%s\">%s</text>%n",
          left + 10 + y * 160, h - 10, colour, escape(chart.ys().get(y))));
    }
    return svg.append("</svg>").toString();
  }

  private static double x(int i, int n, int from, int to) {
    return n <= 1 ? (from + to) / 2.0 : from + (to - from) * (double) i / (n - 1);
  }

  /** The chart's columns taken out of a result: labels from x, numbers from each y. */
  record Series(List<String> labels, List<double[]> values, double max) {

    static Series of(Report report, Report.Chart chart, Result<Record> result) {
      Field<?> xf = field(report, result, chart.x());
      List<String> labels = new ArrayList<>();
      for (Record r : result) {
        Object x = r.get(xf);
        labels.add(x == null ? "" : x.toString());
      }
      List<double[]> values = new ArrayList<>();
      double max = 0;
      for (String y : chart.ys()) {
        Field<?> yf = field(report, result, y);
        double[] v = new double[result.size()];
        for (int i = 0; i < result.size(); i++) {
          Object o = result.get(i).get(yf);
          if (o != null && !(o instanceof Number)) {
            throw new ReportException("chart", "report '" + report.name() + "': chart column " + y
                + " is not a number");
          }
          v[i] = o == null ? Double.NaN : ((Number) o).doubleValue();
          if (!Double.isNaN(v[i])) {
            max = Math.max(max, v[i]);
          }
        }
        values.add(v);
      }
      return new Series(labels, values, max);
    }

    private static Field<?> field(Report report, Result<Record> result, String name) {
      Field<?> f = result.field(name);
      if (f == null) {
        throw new ReportException("chart", "report '" + report.name() + "': its chart names column " + name
            + ", which the query does not return");
      }
      return f;
    }
  }

  private static String number(double v) {
    return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : String.format(Locale.ROOT, "%.2f", v);
  }

  private static String escape(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }
}
