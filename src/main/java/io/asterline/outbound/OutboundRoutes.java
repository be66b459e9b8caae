package io.asterline.outbound;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.asterline.call.CallState;
import io.asterline.http.Auth;
import io.asterline.http.JsonBody;
import io.asterline.outbound.OutboundService.Placed;
import io.javalin.Javalin;
import io.javalin.http.Context;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/** {@code POST /api/outbound/call}: the request the old backend sent, plus caller-ID and voicemail options. */
final class OutboundRoutes {

  /** The request body; unknown fields are refused (a misspelt option must not be silently ignored). */
  record CallBody(
      @JsonProperty("business_id") Long businessId,
      @JsonProperty("lead_id") Long leadId,
      @JsonProperty("to_number") String toNumber,
      @JsonProperty("did_id") String didId,
      @JsonProperty("did_segment") String didSegment,
      @JsonProperty("transfer_number") String transferNumber,
      @JsonProperty("audio_file") String audioFile,
      @JsonProperty("voicemail_action") String voicemailAction,
      @JsonProperty("voicemail_message") String voicemailMessage) {}

  private final OutboundService service;
  private final Duration acceptWait;
  private final ObjectMapper json;

  OutboundRoutes(OutboundService service, Duration acceptWait, ObjectMapper json) {
    this.service = service;
    this.acceptWait = acceptWait;
    this.json = json;
  }

  void register(Javalin app) {
    app.post("/api/outbound/call", this::call);
  }

  private void call(Context ctx) throws JsonProcessingException {
    CallBody body = JsonBody.read(ctx.body(), json, CallBody.class);
    long tenant = Auth.principal(ctx).scope(body.businessId(), "business_id");
    String audioFile = CallFields.audioFile("audio_file", body.audioFile());
    OutboundService.CallRequest request = new OutboundService.CallRequest(
        tenant,
        CallFields.number("to_number", body.toNumber(), true),
        CallFields.leadId("lead_id", body.leadId()),
        CallFields.didId("did_id", body.didId()),
        CallFields.segment("did_segment", body.didSegment()),
        CallFields.number("transfer_number", body.transferNumber(), false),
        audioFile,
        CallFields.voicemailAction("voicemail_action", body.voicemailAction(), body.voicemailMessage(), audioFile,
            "voicemail_message"),
        blankToNull(body.voicemailMessage()),
        null,
        null);
    Placed placed = service.place(request);
    ctx.status(202).json(view(placed, request, service.state(placed, OutboundService.await(placed, acceptWait))));
  }

  static Map<String, Object> view(Placed placed, OutboundService.CallRequest request, CallState state) {
    Map<String, Object> v = new LinkedHashMap<>();
    v.put("call_id", placed.callId());
    v.put("business_id", request.tenantId());
    v.put("lead_id", request.leadId());
    v.put("to_number", request.toNumber());
    v.put("state", state.dbValue());
    v.put("caller_id", placed.did().number());
    v.put("did_id", placed.did().id());
    v.put("did_segment", placed.did().segment());
    v.put("trunk", placed.did().trunk());
    v.put("provider", placed.provider().dbValue());
    return v;
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s;
  }
}
