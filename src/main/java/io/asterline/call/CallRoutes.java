package io.asterline.call;

import io.asterline.http.ApiException;
import io.asterline.http.Auth;
import io.asterline.http.Principal;
import io.javalin.Javalin;
import io.javalin.http.Context;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;

/**
 * {@code GET /api/calls/{id}} and {@code GET /api/calls?state=&direction=&provider=&from=&to=&number=&outcome=&limit=}: a
 * tenant sees its
 * own calls; the admin sees all, or one tenant's with {@code business_id}.
 */
public final class CallRoutes {

  private static final Set<String> STATES = Arrays.stream(CallState.values()).map(CallState::dbValue)
      .collect(Collectors.toUnmodifiableSet());
  private static final Set<String> DIRECTIONS = Set.of("inbound", "outbound");
  private static final Set<String> PROVIDERS = Set.of("asterisk", "twilio");

  private final CallQueries calls;

  public CallRoutes(CallQueries calls) {
    this.calls = calls;
  }

  public void register(Javalin app) {
    app.get("/api/calls", this::list);
    app.get("/api/calls/{id}", this::one);
  }

  private void one(Context ctx) {
    String raw = ctx.pathParam("id");
    UUID id;
    try {
      id = UUID.fromString(raw);
    } catch (IllegalArgumentException e) {
      throw ApiException.badRequest("id", "id must be a call id (a UUID), got '" + raw + "'");
    }
    Principal p = Auth.principal(ctx);
    CallQueries.CallView call = calls.find(id)
        .filter(c -> p.admin() || c.tenantId() == p.tenantId().getAsLong())
        .orElseThrow(() -> ApiException.notFound("no call " + id));
    ctx.json(view(call));
  }

  private void list(Context ctx) {
    Principal p = Auth.principal(ctx);
    String business = ctx.queryParam("business_id");
    Long requested = null;
    if (business != null) {
      try {
        requested = Long.parseLong(business);
      } catch (NumberFormatException e) {
        throw ApiException.badRequest("business_id", "business_id must be a number, got '" + business + "'");
      }
    }
    Long tenant = p.admin() && requested == null ? null : p.scope(requested, "business_id");
    String state = oneOf("state", ctx.queryParam("state"), STATES);
    String direction = oneOf("direction", ctx.queryParam("direction"), DIRECTIONS);
    String provider = oneOf("provider", ctx.queryParam("provider"), PROVIDERS);
    OffsetDateTime from = time("from", ctx.queryParam("from"), false);
    OffsetDateTime to = time("to", ctx.queryParam("to"), true);
    if (from != null && to != null && !from.isBefore(to)) {
      throw ApiException.badRequest("to", "to must be after from");
    }
    int limit = 100;
    String rawLimit = ctx.queryParam("limit");
    if (rawLimit != null) {
      try {
        limit = Integer.parseInt(rawLimit);
      } catch (NumberFormatException e) {
        limit = -1;
      }
      if (limit < 1 || limit > 1000) {
        throw ApiException.badRequest("limit", "limit must be a number from 1 to 1000, got '" + rawLimit + "'");
      }
    }
    List<Map<String, Object>> out = new ArrayList<>();
    calls.list(new CallQueries.Filter(tenant, state, direction, from, to, limit, number(ctx.queryParam("number")),
        outcome(ctx.queryParam("outcome")), provider)).forEach(c -> out.add(view(c)));
    ctx.json(Map.of("calls", out));
  }

  /** Digits of a number, or part of one (+1555, 555 123): what the console's search box takes. */
  private static String number(String raw) {
    if (raw == null || raw.isBlank()) {
      return null;
    }
    String digits = raw.replaceAll("[\\s().-]", "");
    if (!digits.matches("\\+?[0-9]{1,16}")) {
      throw ApiException.badRequest("number", "number must be digits of a phone number (e.g. +1555 or 5551230000),"
          + " got '" + raw + "'");
    }
    return digits;
  }

  private static String outcome(String raw) {
    if (raw == null || raw.isBlank()) {
      return null;
    }
    if (!raw.matches("[A-Za-z_]{1,40}")) {
      throw ApiException.badRequest("outcome", "outcome must be an outcome such as ANSWER, voicemail or"
          + " agent_unavailable, got '" + raw + "'");
    }
    return raw;
  }

  private static String oneOf(String field, String raw, Set<String> valid) {
    if (raw == null || raw.isBlank()) {
      return null;
    }
    if (!valid.contains(raw)) {
      throw ApiException.badRequest(field, field + " must be one of " + String.join(", ", valid.stream().sorted()
          .toList()) + ", got '" + raw + "'");
    }
    return raw;
  }

  /** An ISO-8601 time with offset (2026-03-01T09:00:00Z), or a date: from its start (UTC), to the end of it. */
  private static OffsetDateTime time(String field, String raw, boolean endOfDay) {
    if (raw == null || raw.isBlank()) {
      return null;
    }
    // a '+' offset arrives as a space when the client did not percent-encode it
    raw = raw.trim().replace(' ', '+');
    try {
      return OffsetDateTime.parse(raw);
    } catch (DateTimeParseException notATime) {
      try {
        LocalDate day = LocalDate.parse(raw);
        return (endOfDay ? day.plusDays(1) : day).atStartOfDay().atOffset(ZoneOffset.UTC);
      } catch (DateTimeParseException notADate) {
        throw ApiException.badRequest(field, field + " must be a time such as 2026-03-01T09:00:00Z or a date such "
            + "as 2026-03-01, got '" + raw + "'");
      }
    }
  }

  static Map<String, Object> view(CallQueries.CallView c) {
    Map<String, Object> v = new LinkedHashMap<>();
    v.put("id", c.id());
    v.put("business_id", c.tenantId());
    v.put("direction", c.direction());
    v.put("provider", c.provider());
    v.put("provider_call_sid", c.providerCallSid());
    v.put("state", c.state());
    v.put("outcome", c.outcome());
    v.put("remote_number", c.remoteNumber());
    v.put("caller_id", c.callerId());
    v.put("did_id", c.didId());
    v.put("lead_id", c.leadId());
    v.put("created_at", c.createdAt());
    v.put("answered_at", c.answeredAt());
    v.put("agent_connected_at", c.agentConnectedAt());
    v.put("ended_at", c.endedAt());
    v.put("voicemail_result", c.voicemailResult());
    v.put("amd_status", c.amdStatus());
    v.put("agent_decision", c.agentDecision());
    v.put("transfer_to", c.transferTo());
    v.put("hangup_cause", c.hangupCause());
    v.put("journey_run_id", c.journeyRunId());
    v.put("voicemail", voicemail(c));
    return v;
  }

  /** null when the caller left none; the audio itself is at /api/calls/{id}/voicemail once stored. */
  private static Map<String, Object> voicemail(CallQueries.CallView c) {
    CallQueries.Voicemail vm = c.voicemail();
    if (vm == null) {
      return null;
    }
    Map<String, Object> v = new LinkedHashMap<>();
    v.put("file", vm.file());
    v.put("duration_ms", vm.durationMs());
    v.put("left_at", vm.leftAt());
    v.put("state", vm.state());
    v.put("stored", vm.storedAt() != null);
    v.put("storage", vm.storage());
    v.put("storage_key", vm.storageKey());
    v.put("stored_at", vm.storedAt());
    v.put("url", vm.storedAt() == null ? null : "/api/calls/" + c.id() + "/voicemail");
    v.put("transcript", vm.transcript());
    v.put("transcribed_at", vm.transcribedAt());
    return v;
  }
}
