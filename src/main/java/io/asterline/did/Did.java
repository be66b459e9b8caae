package io.asterline.did;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.OffsetDateTime;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * One of a tenant's numbers: the caller ID it gives outbound calls, the segment (pool) it rotates in and
 * the trunk (PJSIP endpoint) calls with it dial out through.
 *
 * @param usesToday picks on the current day (the day of {@code did.day-time-zone}), checked against the cap
 * @param dailyCap this number's own cap, or null for the configured default
 * @param cooldownSeconds this number's own cooldown, or null for the configured default
 * @param areaCode the North American area code local presence matches on, or null
 * @param quarantinedUntil the end of the automatic quarantine the health evaluation put it in, or null: rotation
 *     skips it until then
 * @param quarantineReason why (which figure, its value, the threshold, over how many calls), or null
 * @param healthPinned an operator pinned it: never quarantined automatically
 */
public record Did(
    UUID id,
    long tenantId,
    String number,
    String segment,
    String trunk,
    String status,
    long usageCount,
    int usesToday,
    OffsetDateTime lastUsedAt,
    Integer dailyCap,
    Integer cooldownSeconds,
    String areaCode,
    ObjectNode metadata,
    OffsetDateTime createdAt,
    OffsetDateTime updatedAt,
    OffsetDateTime quarantinedAt,
    OffsetDateTime quarantinedUntil,
    String quarantineReason,
    boolean healthPinned) {

  /** Every status the database accepts (did_status_known). */
  public static final Set<String> STATUSES = Set.of("active", "available", "inactive", "quarantined");
  /** The statuses rotation picks from. */
  public static final Set<String> USABLE = Set.of("active", "available");

  /** Segment and trunk names, as the did_segment_format and did_trunk_format checks accept them. */
  public static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

  public boolean usable() {
    return USABLE.contains(status);
  }
}
