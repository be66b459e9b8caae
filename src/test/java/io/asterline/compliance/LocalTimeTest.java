package io.asterline.compliance;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.DayOfWeek;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.ZoneId;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The callee's local time from the number, and a window's openings across zones, days and DST. */
class LocalTimeTest {

  final LocalZones zones = LocalZones.builtIn();
  final CallingWindow nineToNine = new CallingWindow(EnumSet.allOf(DayOfWeek.class), LocalTime.of(9, 0),
      LocalTime.of(21, 0));

  @Test
  void areaCodesGiveTheirZones() {
    assertThat(zones.zones("+12125551234")).containsExactly(ZoneId.of("America/New_York"));
    assertThat(zones.zones("+13125551234")).containsExactly(ZoneId.of("America/Chicago"));
    assertThat(zones.zones("+13035551234")).containsExactly(ZoneId.of("America/Denver"));
    assertThat(zones.zones("+16025551234")).as("Arizona keeps standard time").containsExactly(ZoneId.of("America/Phoenix"));
    assertThat(zones.zones("+14155551234")).containsExactly(ZoneId.of("America/Los_Angeles"));
    assertThat(zones.zones("+19075551234")).containsExactly(ZoneId.of("America/Anchorage"));
    assertThat(zones.zones("+18085551234")).containsExactly(ZoneId.of("Pacific/Honolulu"));
    assertThat(zones.zones("+14165551234")).containsExactly(ZoneId.of("America/Toronto"));
    assertThat(zones.zones("+16045551234")).containsExactly(ZoneId.of("America/Vancouver"));
    assertThat(zones.zones("+13065551234")).containsExactly(ZoneId.of("America/Regina"));
    assertThat(zones.zones("+17095551234")).containsExactly(ZoneId.of("America/St_Johns"));
    assertThat(zones.zones("+19025551234")).containsExactly(ZoneId.of("America/Halifax"));
    // split by a zone line: both
    assertThat(zones.zones("+18505551234")).containsExactlyInAnyOrder(ZoneId.of("America/New_York"),
        ZoneId.of("America/Chicago"));
  }

  @Test
  void anUnknownAreaCodeMustBeInsideTheWindowEverywhereOnTheMainland() {
    assertThat(zones.knowsAreaCode("299")).isFalse();
    List<ZoneId> wide = zones.zones("+12995551234");
    assertThat(wide).contains(ZoneId.of("America/St_Johns"), ZoneId.of("America/New_York"),
        ZoneId.of("America/Los_Angeles"), ZoneId.of("Pacific/Honolulu"));
    // 20:00 in New York is 14:00 in Honolulu but 21:30 in St. John's: not inside everywhere
    Instant eightPmNy = LocalDateTime.parse("2026-07-15T20:00").atZone(ZoneId.of("America/New_York")).toInstant();
    assertThat(nineToNine.isOpen(eightPmNy, wide)).isFalse();
    // the next instant inside everywhere: 09:00 in Honolulu (16:30 in St. John's)
    assertThat(nineToNine.nextOpening(eightPmNy, wide)).contains(
        LocalDateTime.parse("2026-07-16T09:00").atZone(ZoneId.of("Pacific/Honolulu")).toInstant());
  }

  @Test
  void countriesAndUnknownCountries() {
    assertThat(zones.zones("+4930123456")).containsExactly(ZoneId.of("Europe/Berlin"));
    assertThat(zones.zones("+447911123456")).containsExactly(ZoneId.of("Europe/London"));
    assertThat(zones.zones("+61412345678")).hasSizeGreaterThan(1);
    assertThat(zones.zones("+6881234")).as("Tuvalu is not in the table").isEmpty();
  }

  @Test
  void theWindowFollowsDaysAndDaylightSavingTime() {
    ZoneId ny = ZoneId.of("America/New_York");
    CallingWindow weekdays = new CallingWindow(EnumSet.range(DayOfWeek.MONDAY, DayOfWeek.FRIDAY), LocalTime.of(9, 0),
        LocalTime.of(21, 0));
    // Friday 21:00 exactly is closed; the next opening is Monday 09:00
    Instant friday = LocalDateTime.parse("2026-07-17T21:00").atZone(ny).toInstant();
    assertThat(weekdays.isOpen(friday, ny)).isFalse();
    assertThat(weekdays.isOpen(friday.minusSeconds(60), ny)).isTrue();
    assertThat(weekdays.nextOpening(friday, List.of(ny))).contains(
        LocalDateTime.parse("2026-07-20T09:00").atZone(ny).toInstant());
    // across the switch to winter time (1 Nov 2026) 09:00 is still 09:00 local, now UTC-5
    Instant saturday = LocalDateTime.parse("2026-10-31T22:00").atZone(ny).toInstant();
    assertThat(nineToNine.nextOpening(saturday, List.of(ny))).contains(Instant.parse("2026-11-01T14:00:00Z"));
  }

  @Test
  void aWindowTooNarrowForAllItsZonesNeverOpens() {
    CallingWindow hour = new CallingWindow(EnumSet.allOf(DayOfWeek.class), LocalTime.of(9, 0), LocalTime.of(10, 0));
    List<ZoneId> apart = List.of(ZoneId.of("America/New_York"), ZoneId.of("America/Los_Angeles"));
    assertThat(hour.nextOpening(Instant.parse("2026-07-15T12:00:00Z"), apart)).isEmpty();
  }
}
