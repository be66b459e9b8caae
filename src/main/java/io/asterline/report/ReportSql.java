package io.asterline.report;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * Turns a report's named parameters ({@code :tenant}, {@code :from}, ...) into typed bind values: each
 * becomes {@code CAST(? AS <type>)} with its value bound, never pasted into the SQL. String literals,
 * quoted names, dollar-quoted bodies and {@code ::} casts are left alone; comments are dropped.
 */
final class ReportSql {

  /** SQL with {@code ?} placeholders and the parameter behind each, in order. */
  record Bound(String sql, List<Report.Param> order) {}

  private ReportSql() {}

  static Set<Report.Param> usedParams(String sql) {
    Set<Report.Param> used = EnumSet.noneOf(Report.Param.class);
    used.addAll(translate(sql).order());
    return used;
  }

  static Bound translate(String sql) {
    StringBuilder out = new StringBuilder(sql.length() + 64);
    List<Report.Param> order = new ArrayList<>();
    int n = sql.length();
    int i = 0;
    while (i < n) {
      char c = sql.charAt(i);
      char next = i + 1 < n ? sql.charAt(i + 1) : '\0';
      if (c == '\'' || c == '"') {
        int end = closing(sql, i + 1, c);
        out.append(sql, i, end);
        i = end;
      } else if (c == '-' && next == '-') {
        int end = sql.indexOf('\n', i);
        i = end < 0 ? n : end;
        out.append(' ');
      } else if (c == '/' && next == '*') {
        int end = sql.indexOf("*/", i + 2);
        if (end < 0) {
          throw new ReportException("sql", "a /* comment is never closed");
        }
        i = end + 2;
        out.append(' ');
      } else if (c == '$' && dollarTag(sql, i) != null) {
        String tag = dollarTag(sql, i);
        int end = sql.indexOf(tag, i + tag.length());
        if (end < 0) {
          throw new ReportException("sql", "the dollar quote " + tag + " is never closed");
        }
        out.append(sql, i, end + tag.length());
        i = end + tag.length();
      } else if (c == ':' && next == ':') {
        out.append("::");
        i += 2;
      } else if (c == ':' && Character.isLetter(next)) {
        int end = i + 1;
        while (end < n && (Character.isLetterOrDigit(sql.charAt(end)) || sql.charAt(end) == '_')) {
          end++;
        }
        String name = sql.substring(i + 1, end);
        Report.Param p = Report.Param.of(name).orElseThrow(() -> new ReportException(name,
            "its SQL uses :" + name + "; reports take " + String.join(", ", Report.Param.keys())));
        out.append("CAST(? AS ").append(p.sqlType()).append(')');
        order.add(p);
        i = end;
      } else if (c == '?') {
        throw new ReportException("sql", "its SQL contains '?', which is reserved for bind values; "
            + "use the named parameters, and jsonb_exists() instead of the ? operator");
      } else {
        out.append(c);
        i++;
      }
    }
    return new Bound(out.toString().strip(), order);
  }

  /** The index just past the quote closing the literal opened before {@code from} ('' or "" escape it). */
  private static int closing(String sql, int from, char quote) {
    int i = from;
    while (i < sql.length()) {
      if (sql.charAt(i) == quote) {
        if (i + 1 < sql.length() && sql.charAt(i + 1) == quote) {
          i += 2;
          continue;
        }
        return i + 1;
      }
      i++;
    }
    throw new ReportException("sql", "a " + quote + " quote is never closed");
  }

  /** {@code $tag$} or {@code $$} starting at {@code i}, or null when the $ starts none (e.g. $1). */
  private static String dollarTag(String sql, int i) {
    int j = i + 1;
    while (j < sql.length() && (Character.isLetterOrDigit(sql.charAt(j)) || sql.charAt(j) == '_')) {
      if (j == i + 1 && Character.isDigit(sql.charAt(j))) {
        return null;
      }
      j++;
    }
    return j < sql.length() && sql.charAt(j) == '$' ? sql.substring(i, j + 1) : null;
  }
}
