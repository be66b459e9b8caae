package io.asterline.report;

import java.time.Clock;
import java.time.Duration;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The parameter values of one run, checked: each that does not parse, or that the report does not take, is
 * an error naming it. {@code from} and {@code to} have defaults (the last 7 days); dates are UTC.
 */
public final class ReportParams {

  static final Duration DEFAULT_WINDOW = Duration.ofDays(7);
  private static final Pattern DATE = Pattern.compile("\\d{4}-\\d{2}-\\d{2}");
  private static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

  private final Map<Report.Param, Object> values;
  private final EnumSet<Report.Param> given;

  private ReportParams(Map<Report.Param, Object> values, EnumSet<Report.Param> given) {
    this.values = values;
    this.given = given;
  }

  /**
   * Parses raw values by parameter name (blank = not given). Names that are no parameter at all are
   * rejected, so a typo (--segmnt, ?form=) is not silently ignored.
   */
  public static ReportParams parse(Map<String, String> raw, Clock clock) {
    Map<Report.Param, Object> values = new EnumMap<>(Report.Param.class);
    EnumSet<Report.Param> given = EnumSet.noneOf(Report.Param.class);
    for (Map.Entry<String, String> e : raw.entrySet()) {
      Report.Param p = Report.Param.of(e.getKey()).orElseThrow(() -> new ReportException(e.getKey(),
          "unknown parameter '" + e.getKey() + "' (reports take " + String.join(", ", Report.Param.keys()) + ")"));
      String v = e.getValue() == null ? "" : e.getValue().strip();
      if (v.isEmpty()) {
        continue;
      }
      given.add(p);
      values.put(p, switch (p) {
        case TENANT -> tenant(v);
        case FROM -> time(p, v, false);
        case TO -> time(p, v, true);
        case SEGMENT -> segment(v);
      });
    }
    OffsetDateTime to = (OffsetDateTime) values.computeIfAbsent(Report.Param.TO,
        k -> OffsetDateTime.now(clock).withOffsetSameInstant(ZoneOffset.UTC));
    OffsetDateTime from = (OffsetDateTime) values.computeIfAbsent(Report.Param.FROM, k -> to.minus(DEFAULT_WINDOW));
    if (!from.isBefore(to)) {
      throw new ReportException(given.contains(Report.Param.FROM) ? "from" : "to",
          "parameter from (" + from + ") must be before to (" + to + ")");
    }
    return new ReportParams(values, given);
  }

  /** This run's values with the tenant forced to {@code tenantId} (a tenant token sees only its own data). */
  public ReportParams forTenant(long tenantId) {
    Map<Report.Param, Object> v = new EnumMap<>(values);
    v.put(Report.Param.TENANT, tenantId);
    EnumSet<Report.Param> g = EnumSet.copyOf(given);
    g.add(Report.Param.TENANT);
    return new ReportParams(v, g);
  }

  /** Checks that the report takes every parameter given. */
  void checkTakenBy(Report report) {
    for (Report.Param p : given) {
      if (!report.params().contains(p)) {
        throw new ReportException(p.key(), "parameter " + p.key() + ": report '" + report.name()
            + "' does not take it (it takes: " + (report.params().isEmpty() ? "nothing"
            : String.join(", ", report.params().stream().map(Report.Param::key).toList())) + ")");
      }
    }
  }

  /** The value bound for a parameter; null when not given and without a default (all tenants, all segments). */
  Object value(Report.Param p) {
    return values.get(p);
  }

  /** Start of the period, inclusive (UTC). */
  public OffsetDateTime from() {
    return (OffsetDateTime) values.get(Report.Param.FROM);
  }

  /** End of the period, exclusive (UTC). */
  public OffsetDateTime to() {
    return (OffsetDateTime) values.get(Report.Param.TO);
  }

  /** The tenant given (or forced by {@link #forTenant}); empty means every tenant. */
  public Optional<Long> tenant() {
    return Optional.ofNullable((Long) values.get(Report.Param.TENANT));
  }

  public Set<Report.Param> given() {
    return EnumSet.copyOf(given);
  }

  private static long tenant(String v) {
    try {
      long id = Long.parseLong(v);
      if (id > 0) {
        return id;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new ReportException("tenant", "parameter tenant: expected a tenant id (a positive whole number), got '"
        + v + "'");
  }

  private static String segment(String v) {
    if (!SEGMENT.matcher(v).matches()) {
      throw new ReportException("segment", "parameter segment: expected a DID segment name (letters, digits, "
          + "'.', '_', '-'), got '" + v + "'");
    }
    return v;
  }

  /** A date (a {@code to} date includes that whole day) or an ISO date-time; without an offset it is UTC. */
  private static OffsetDateTime time(Report.Param p, String v, boolean end) {
    try {
      if (DATE.matcher(v).matches()) {
        LocalDate d = LocalDate.parse(v);
        return (end ? d.plusDays(1) : d).atStartOfDay().atOffset(ZoneOffset.UTC);
      }
      if (v.endsWith("Z") || v.matches(".*[+-]\\d{2}:?\\d{2}$")) {
        return OffsetDateTime.parse(v).withOffsetSameInstant(ZoneOffset.UTC);
      }
      return LocalDateTime.parse(v).atOffset(ZoneOffset.UTC);
    } catch (DateTimeParseException e) {
      throw new ReportException(p.key(), "parameter " + p.key() + ": '" + v + "' is not a date; use YYYY-MM-DD "
          + "or an ISO date-time such as 2025-01-31T14:00:00Z");
    }
  }
}
