package io.asterline.call;

import static io.asterline.db.generated.Tables.CALL;
import static io.asterline.db.generated.Tables.CALL_EVENT;
import static io.asterline.db.generated.Tables.DID;
import static io.asterline.db.generated.Tables.OUTBOUND_CALL;
import static io.asterline.db.generated.Tables.RECORDING_JOB;
import static io.asterline.db.generated.Tables.TENANT;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.asterline.http.ApiException;
import io.asterline.http.Auth;
import io.asterline.http.Principal;
import io.javalin.Javalin;
import io.javalin.http.Context;
import java.io.IOException;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Consumer;
import org.jooq.DSLContext;
import org.jooq.Record;

/**
 * {@code GET /api/calls/{id}/story}: one call told on one timeline, for the console's call page. What the call
 * row stores (times, outcome, decision, the conversation written when the agent leg ended) and, when the agent
 * recorded them, the moments of {@code call_event} (barge-ins with their stop time, tool calls, the voicemail
 * decision, the fallback and why). A tenant token sees its own calls; another tenant's is "no call".
 *
 * <pre>
 * {"call": {...as GET /api/calls/{id}...}, "tenant", "did", "trunk", "greeting_ms", "barge_in_count",
 *  "barge_in_max_stop_ms", "agent_end_reason", "turns": [{"role", "text", "at"}],
 *  "timeline": [{"at", "kind", "text", ...}], "recording": {"state", "stored", "starts_at"} | null,
 *  "transcript": "..." | null}
 * </pre>
 */
public final class CallStory implements Consumer<Javalin> {

  /** agent_end_reason values that mean the agent could not serve the call and the tenant's fallback took it. */
  private static final Set<String> FALLBACK_REASONS = Set.of("upstream_failure", "no_api_key", "shutdown");

  private final DSLContext dsl;
  private final CallQueries calls;
  private final ObjectMapper json;

  public CallStory(DSLContext dsl, ObjectMapper json) {
    this.dsl = dsl;
    this.calls = new CallQueries(dsl);
    this.json = json;
  }

  @Override
  public void accept(Javalin app) {
    app.get("/api/calls/{id}/story", this::story);
  }

  private void story(Context ctx) throws IOException {
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
    Record r = dsl.select(TENANT.NAME, DID.NUMBER, OUTBOUND_CALL.TRUNK, DID.TRUNK, OUTBOUND_CALL.ORIGINATED_AT,
            CALL.FIRST_AUDIO_AT, CALL.BARGE_IN_COUNT, CALL.BARGE_IN_MAX_STOP_MS, CALL.AGENT_END_REASON,
            CALL.CONVERSATION, CALL.TRANSCRIPT, CALL.AMD_CAUSE, RECORDING_JOB.STATE, RECORDING_JOB.STEP,
            RECORDING_JOB.STORED_AT)
        .from(CALL).join(TENANT).on(TENANT.ID.eq(CALL.TENANT_ID))
        .leftJoin(DID).on(DID.ID.eq(CALL.DID_ID))
        .leftJoin(OUTBOUND_CALL).on(OUTBOUND_CALL.CALL_ID.eq(CALL.ID))
        .leftJoin(RECORDING_JOB).on(RECORDING_JOB.CALL_ID.eq(CALL.ID)).and(RECORDING_JOB.KIND.eq("call"))
        .where(CALL.ID.eq(id))
        .fetchOne();
    List<Event> events = dsl.select(CALL_EVENT.AT, CALL_EVENT.KIND, CALL_EVENT.DETAIL).from(CALL_EVENT)
        .where(CALL_EVENT.CALL_ID.eq(id)).orderBy(CALL_EVENT.AT, CALL_EVENT.ID)
        .fetch(e -> new Event(e.value1(), e.value2(), tree(e.value3() == null ? "{}" : e.value3().data())));

    Map<String, Object> out = new LinkedHashMap<>();
    out.put("call", CallRoutes.view(call));
    out.put("tenant", r.get(TENANT.NAME));
    out.put("did", r.get(DID.NUMBER));
    out.put("trunk", r.get(OUTBOUND_CALL.TRUNK) != null ? r.get(OUTBOUND_CALL.TRUNK) : r.get(DID.TRUNK));
    OffsetDateTime firstAudio = r.get(CALL.FIRST_AUDIO_AT);
    // as the agent measured it (from its leg's connection, on its own clock) when it recorded the moment; else
    // from the two stored times
    Long greetingMs = events.stream().filter(e -> e.kind().equals("greeting")).findFirst()
        .map(e -> e.detail().path("ms").asLong())
        .orElse(firstAudio != null && call.agentConnectedAt() != null
            ? Duration.between(call.agentConnectedAt(), firstAudio).toMillis() : null);
    out.put("greeting_ms", greetingMs);
    out.put("barge_in_count", r.get(CALL.BARGE_IN_COUNT));
    out.put("barge_in_max_stop_ms", r.get(CALL.BARGE_IN_MAX_STOP_MS));
    out.put("agent_end_reason", r.get(CALL.AGENT_END_REASON));

    // the turns as they happened (call_event), else as the agent leg stored them when it ended
    List<Map<String, Object>> turns = new ArrayList<>();
    for (Event e : events) {
      if (e.kind().equals("turn")) {
        turns.add(turn(e.detail().path("role").asText(), e.detail().path("text").asText(), e.at()));
      }
    }
    if (turns.isEmpty() && r.get(CALL.CONVERSATION) != null) {
      for (JsonNode t : tree(r.get(CALL.CONVERSATION).data())) {
        OffsetDateTime at = t.hasNonNull("at") ? OffsetDateTime.parse(t.get("at").asText()) : null;
        turns.add(turn(t.path("role").asText(), t.path("text").asText(), at));
      }
    }
    out.put("turns", turns);
    out.put("timeline", timeline(call, r, events, turns, greetingMs));

    Map<String, Object> recording = null;
    if (r.get(RECORDING_JOB.STATE) != null) {
      recording = new LinkedHashMap<>();
      recording.put("state", r.get(RECORDING_JOB.STATE));
      recording.put("step", r.get(RECORDING_JOB.STEP));
      recording.put("stored", r.get(RECORDING_JOB.STORED_AT) != null);
      // MixMonitor starts once the call is answered: the offset of a turn in the audio is its time minus this
      recording.put("starts_at", call.answeredAt() != null ? call.answeredAt() : call.createdAt());
    }
    out.put("recording", recording);
    out.put("transcript", r.get(CALL.TRANSCRIPT));
    ctx.json(out);
  }

  private record Event(OffsetDateTime at, String kind, JsonNode detail) {}

  private List<Map<String, Object>> timeline(CallQueries.CallView c, Record r, List<Event> events,
      List<Map<String, Object>> turns, Long greetingMs) {
    List<Map<String, Object>> t = new ArrayList<>();
    boolean inbound = c.direction().equals("inbound");
    add(t, c.createdAt(), "offered", inbound ? "call offered from " + orUnknown(c.remoteNumber())
        : "call placed to " + orUnknown(c.remoteNumber()) + " with caller ID " + orUnknown(c.callerId()));
    boolean refused = c.outcome() != null && Set.of("tenant_full", "global_full").contains(c.outcome());
    if (inbound) {
      add(t, c.createdAt(), refused ? "refused" : "admitted",
          refused ? "refused by admission (" + c.outcome() + ")" : "admitted: an admission slot was taken");
    } else if (r.get(OUTBOUND_CALL.ORIGINATED_AT) != null) {
      add(t, r.get(OUTBOUND_CALL.ORIGINATED_AT), "admitted", "originated through AMI");
    }
    if (c.answeredAt() != null) {
      add(t, c.answeredAt(), "answered", "answered");
    }
    if (c.amdStatus() != null) {
      add(t, c.answeredAt(), "voicemail", "answering-machine detection (AMD): " + c.amdStatus()
          + (r.get(CALL.AMD_CAUSE) != null ? " (" + r.get(CALL.AMD_CAUSE) + ")" : ""));
    }
    boolean eventConnected = events.stream().anyMatch(e -> e.kind().equals("connected"));
    if (c.agentConnectedAt() != null && !eventConnected) {
      add(t, c.agentConnectedAt(), "connected", "agent leg connected");
    }
    boolean eventGreeting = events.stream().anyMatch(e -> e.kind().equals("greeting"));
    if (greetingMs != null && !eventGreeting) {
      add(t, r.get(CALL.FIRST_AUDIO_AT), "greeting", "greeting heard after " + greetingMs + " ms").put("ms", greetingMs);
    }
    for (Event e : events) {
      JsonNode d = e.detail();
      switch (e.kind()) {
        case "connected" -> add(t, e.at(), "connected", "agent leg connected over " + d.path("transport").asText());
        case "greeting" -> add(t, e.at(), "greeting", "greeting heard after " + d.path("ms").asLong() + " ms")
            .put("ms", d.path("ms").asLong());
        case "barge_in" -> add(t, e.at(), "barge_in", "caller barged in; the agent stopped within "
            + d.path("stop_ms").asLong() + " ms").put("stop_ms", d.path("stop_ms").asLong());
        case "tool_call" -> add(t, e.at(), "tool_call", "tool " + d.path("name").asText() + " "
            + d.path("arguments").toString()).put("name", d.path("name").asText());
        case "voicemail" -> add(t, e.at(), "voicemail", "voicemail detection: " + d.path("result").asText()
            + (d.hasNonNull("why") ? " (" + d.path("why").asText() + ")" : ""));
        case "fallback" -> add(t, e.at(), "fallback", "fallback to " + d.path("decision").asText() + " because "
            + d.path("reason").asText());
        default -> { } // turns come below
      }
    }
    for (Map<String, Object> turn : turns) {
      if (turn.get("at") != null) {
        add(t, (OffsetDateTime) turn.get("at"), "turn", turn.get("role") + ": " + turn.get("text"))
            .put("role", turn.get("role"));
      }
    }
    boolean eventBarge = events.stream().anyMatch(e -> e.kind().equals("barge_in"));
    Integer barges = r.get(CALL.BARGE_IN_COUNT);
    OffsetDateTime legEnd = c.endedAt() != null ? c.endedAt() : c.agentConnectedAt();
    if (!eventBarge && barges != null && barges > 0 && legEnd != null) {
      add(t, legEnd, "barge_in", barges + " barge-in(s); the agent stopped within "
          + r.get(CALL.BARGE_IN_MAX_STOP_MS) + " ms at most");
    }
    boolean eventVoicemail = events.stream().anyMatch(e -> e.kind().equals("voicemail"));
    if (!eventVoicemail && c.voicemailResult() != null && legEnd != null) {
      add(t, legEnd, "voicemail", "voicemail detection: " + c.voicemailResult());
    }
    String reason = r.get(CALL.AGENT_END_REASON);
    boolean eventFallback = events.stream().anyMatch(e -> e.kind().equals("fallback"));
    if (reason != null && legEnd != null) {
      if (FALLBACK_REASONS.contains(reason) && !eventFallback) {
        add(t, legEnd, "fallback", "fallback to " + orUnknown(c.agentDecision()) + " because " + reason);
      }
      boolean eventTool = events.stream().anyMatch(e -> e.kind().equals("tool_call"));
      String decision = c.agentDecision() == null ? "" : ", decision " + c.agentDecision()
          + (c.transferTo() != null ? " to " + c.transferTo() : "");
      if (!eventTool || !decision.isEmpty()) {
        add(t, legEnd, "agent_end", "agent leg ended: " + reason + decision);
      }
    }
    if (c.voicemail() != null) {
      add(t, c.voicemail().leftAt(), "voicemail_left", "caller left a voicemail ("
          + (c.voicemail().durationMs() == null ? "?" : c.voicemail().durationMs() / 1000.0 + " s") + ")");
    }
    if (c.endedAt() != null) {
      add(t, c.endedAt(), "ended", "ended: " + orUnknown(c.outcome())
          + (c.hangupCause() != null ? ", hangup cause " + c.hangupCause() : ""))
          .put("hangup_cause", c.hangupCause());
    }
    t.sort(Comparator.comparing(m -> (OffsetDateTime) m.get("at")));
    for (Map<String, Object> m : t) {
      m.put("offset_ms", Duration.between(c.createdAt(), (OffsetDateTime) m.get("at")).toMillis());
    }
    return t;
  }

  private static Map<String, Object> add(List<Map<String, Object>> t, OffsetDateTime at, String kind, String text) {
    Map<String, Object> m = new LinkedHashMap<>();
    if (at == null) {
      return m; // a moment with no time is not placed on the timeline
    }
    m.put("at", at);
    m.put("kind", kind);
    m.put("text", text);
    t.add(m);
    return m;
  }

  private static Map<String, Object> turn(String role, String text, OffsetDateTime at) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("role", role);
    m.put("text", text);
    m.put("at", at);
    return m;
  }

  private static String orUnknown(String s) {
    return s == null || s.isBlank() ? "(unknown)" : s;
  }

  private JsonNode tree(String text) {
    try {
      return json.readTree(text);
    } catch (IOException e) {
      return json.createObjectNode();
    }
  }
}
