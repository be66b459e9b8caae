package io.asterline.report;

import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * One report: a SQL file whose header comment gives its title, description, the named parameters it takes
 * and, for a time series, the chart that shows it.
 *
 * <pre>
 * -- title: Concurrent calls per hour
 * -- description: Peak and average number of calls in progress in each hour.
 * -- params: tenant, from, to
 * -- chart: hour -> peak_calls, avg_calls
 * SELECT ... WHERE (:tenant IS NULL OR tenant_id = :tenant) AND created_at &gt;= :from ...
 * </pre>
 */
public record Report(String name, String title, String description, Set<Param> params, Optional<Chart> chart,
    String sql, String source) {

  /** The named parameters a report may take, and the SQL type each is bound as. */
  public enum Param {
    /** a tenant id; a tenant token always means its own tenant */
    TENANT("tenant", "bigint"),
    /** start, inclusive: YYYY-MM-DD or an ISO date-time (default: 7 days before to) */
    FROM("from", "timestamptz"),
    /** end, exclusive; a date includes that whole day (default: now) */
    TO("to", "timestamptz"),
    /** a DID segment, e.g. twilio-main */
    SEGMENT("segment", "text");

    private final String key;
    private final String sqlType;
    Param(String key, String sqlType) {
      this.key = key;
      this.sqlType = sqlType;
    }

    public String key() {
      return key;
    }

    String sqlType() {
      return sqlType;
    }

    static Optional<Param> of(String key) {
      for (Param p : values()) {
        if (p.key.equals(key)) {
          return Optional.of(p);
        }
      }
      return Optional.empty();
    }

    static List<String> keys() {
      return java.util.Arrays.stream(values()).map(Param::key).toList();
    }
  }

  /** A line chart of column {@code x} against the numeric columns {@code ys}. */
  public record Chart(String x, List<String> ys) {}

  /** A report with no tenant parameter reads every tenant's data: admins only. */
  public boolean coversAllTenants() {
    return !params.contains(Param.TENANT);
  }
}
