package io.asterline.compliance;

import io.asterline.error.InvalidInputException;
import java.time.DayOfWeek;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * When a callee may be called, in the callee's local time: on {@code days}, from {@code opens} (inclusive) to
 * {@code closes} (exclusive), so 09:00-21:00 allows 20:59 and refuses 21:00.
 */
public record CallingWindow(Set<DayOfWeek> days, LocalTime opens, LocalTime closes) {

  /** How far ahead an opening is looked for; a window open on no day in a week of several zones never opens. */
  private static final int SEARCH_DAYS = 8;

  public CallingWindow {
    days = days.isEmpty() ? EnumSet.noneOf(DayOfWeek.class) : EnumSet.copyOf(days);
  }

  /** Reads the API's form: day names ({@code mon} ... {@code sun}) and {@code HH:MM} times. */
  public static CallingWindow parse(List<String> days, String opens, String closes) {
    if (days == null || days.isEmpty()) {
      throw new InvalidInputException("days", "days: give at least one of mon, tue, wed, thu, fri, sat, sun");
    }
    Set<DayOfWeek> set = EnumSet.noneOf(DayOfWeek.class);
    for (String d : days) {
      set.add(day(d));
    }
    LocalTime o = time("opens", opens);
    LocalTime c = time("closes", closes);
    if (!o.isBefore(c)) {
      throw new InvalidInputException("closes", "closes must be after opens (same day, local time of the callee), got "
          + opens + "-" + closes);
    }
    return new CallingWindow(set, o, c);
  }

  private static DayOfWeek day(String name) {
    String n = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
    for (DayOfWeek d : DayOfWeek.values()) {
      if (d.name().toLowerCase(Locale.ROOT).startsWith(n) && n.length() >= 3) {
        return d;
      }
    }
    throw new InvalidInputException("days", "days: '" + name + "' is not a day; use mon, tue, wed, thu, fri, sat, sun");
  }

  private static LocalTime time(String field, String value) {
    if (value == null || value.isBlank()) {
      throw new InvalidInputException(field, field + " is required, as HH:MM (24 h)");
    }
    try {
      return LocalTime.parse(value.trim());
    } catch (DateTimeParseException e) {
      throw new InvalidInputException(field, field + ": '" + value + "' is not a time; use HH:MM (24 h), e.g. 09:00");
    }
  }

  /** Bit set of ISO weekdays as stored: bit 0 Monday ... bit 6 Sunday. */
  public int dayBits() {
    int bits = 0;
    for (DayOfWeek d : days) {
      bits |= 1 << (d.getValue() - 1);
    }
    return bits;
  }

  public static Set<DayOfWeek> days(int bits) {
    Set<DayOfWeek> set = EnumSet.noneOf(DayOfWeek.class);
    for (DayOfWeek d : DayOfWeek.values()) {
      if ((bits & (1 << (d.getValue() - 1))) != 0) {
        set.add(d);
      }
    }
    return set;
  }

  public List<String> dayNames() {
    List<String> names = new ArrayList<>();
    days.forEach(d -> names.add(d.name().substring(0, 3).toLowerCase(Locale.ROOT)));
    return names;
  }

  /** Open at {@code at} in {@code zone}. */
  public boolean isOpen(Instant at, ZoneId zone) {
    ZonedDateTime local = at.atZone(zone);
    LocalTime t = local.toLocalTime();
    return days.contains(local.getDayOfWeek()) && !t.isBefore(opens) && t.isBefore(closes);
  }

  /** Open at {@code at} in every one of {@code zones} (a number whose zone is not certain). */
  public boolean isOpen(Instant at, List<ZoneId> zones) {
    return zones.stream().allMatch(z -> isOpen(at, z));
  }

  /** The first instant at or after {@code from} when the window is open in {@code zone}; empty if never. */
  Optional<Instant> nextOpening(Instant from, ZoneId zone) {
    if (isOpen(from, zone)) {
      return Optional.of(from);
    }
    LocalDate day = from.atZone(zone).toLocalDate();
    for (int i = 0; i <= SEARCH_DAYS; i++, day = day.plusDays(1)) {
      if (!days.contains(day.getDayOfWeek())) {
        continue;
      }
      // a DST gap at the opening moves it later, which is still inside the window
      Instant open = ZonedDateTime.of(day, opens, zone).toInstant();
      if (!open.isBefore(from)) {
        return Optional.of(open);
      }
    }
    return Optional.empty();
  }

  /**
   * The first instant at or after {@code from} when the window is open in all {@code zones}: each zone's next
   * opening pushes the candidate later until all agree, or until a week has passed (they never do).
   */
  public Optional<Instant> nextOpening(Instant from, List<ZoneId> zones) {
    Instant t = from;
    Instant limit = from.plus(java.time.Duration.ofDays(SEARCH_DAYS));
    while (t.isBefore(limit)) {
      if (isOpen(t, zones)) {
        return Optional.of(t);
      }
      Instant later = t;
      for (ZoneId z : zones) {
        if (!isOpen(t, z)) {
          Optional<Instant> next = nextOpening(t, z);
          if (next.isEmpty()) {
            return Optional.empty();
          }
          if (next.get().isAfter(later)) {
            later = next.get();
          }
        }
      }
      // every zone open at its own opening but closed in another then: step past, at least one minute
      t = later.equals(t) ? t.plusSeconds(60) : later;
    }
    return Optional.empty();
  }

  @Override
  public String toString() {
    return String.join(",", dayNames()) + " " + opens + "-" + closes;
  }
}
