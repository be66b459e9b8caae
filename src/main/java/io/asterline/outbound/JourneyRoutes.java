package io.asterline.outbound;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.asterline.http.ApiException;
import io.asterline.http.Audit;
import io.asterline.http.Auth;
import io.asterline.http.JsonBody;
import io.asterline.http.Principal;
import io.asterline.outbound.JourneyRepository.Journey;
import io.asterline.outbound.JourneyRepository.NewNode;
import io.asterline.outbound.JourneyRepository.Node;
import io.asterline.outbound.OutboundService.Placed;
import io.javalin.Javalin;
import io.javalin.http.Context;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Journeys: {@code POST /api/journeys}, {@code GET /api/journeys[/{id}]}, {@code PUT|DELETE /api/journeys/{id}},
 * node CRUD under {@code /api/journeys/{id}/nodes}, and {@code POST /api/journeys/{id}/run}, which places the
 * journey's MAKE_CALL nodes for one contact through the same path as {@code POST /api/outbound/call}.
 */
final class JourneyRoutes {

  static final String MAKE_CALL = "MAKE_CALL";
  private static final Pattern TYPE = Pattern.compile("[A-Z][A-Z0-9_]{0,63}");
  private static final Set<String> MAKE_CALL_KEYS =
      Set.of("didId", "didSegment", "audioFile", "transferNumber", "voicemailAction", "voicemailMessage");

  record JourneyBody(@JsonProperty("business_id") Long businessId, String name, List<NodeBody> nodes) {}

  record NodeBody(String type, JsonNode config, Integer position) {}

  record RenameBody(String name) {}

  record RunBody(@JsonProperty("business_id") Long businessId, @JsonProperty("lead_id") Long leadId,
      @JsonProperty("to_number") String toNumber) {}

  /** A MAKE_CALL node's config, checked. */
  record MakeCall(Optional<UUID> didId, Optional<String> didSegment, String audioFile, String transferNumber,
      String voicemailAction, String voicemailMessage) {}

  private final JourneyRepository journeys;
  private final OutboundService service;
  private final ObjectMapper json;
  private final Duration acceptWait;

  JourneyRoutes(JourneyRepository journeys, OutboundService service, ObjectMapper json, Duration acceptWait) {
    this.journeys = journeys;
    this.service = service;
    this.json = json;
    this.acceptWait = acceptWait;
  }

  void register(Javalin app) {
    app.post("/api/journeys", this::create);
    app.get("/api/journeys", this::list);
    app.get("/api/journeys/{id}", ctx -> ctx.json(view(journey(ctx))));
    app.put("/api/journeys/{id}", this::rename);
    app.delete("/api/journeys/{id}", this::delete);
    app.post("/api/journeys/{id}/nodes", this::addNode);
    app.get("/api/journeys/{id}/nodes/{node}", ctx -> {
      Journey j = journey(ctx);
      ctx.json(view(journeys.node(j.id(), nodeId(ctx)).orElseThrow(() -> noNode(ctx))));
    });
    app.put("/api/journeys/{id}/nodes/{node}", this::updateNode);
    app.delete("/api/journeys/{id}/nodes/{node}", this::deleteNode);
    app.post("/api/journeys/{id}/run", this::run);
  }

  private void create(Context ctx) throws JsonProcessingException {
    JourneyBody body = body(ctx, JourneyBody.class);
    long tenant = Auth.principal(ctx).scope(body.businessId(), "business_id");
    String name = name("name", body.name());
    List<NewNode> nodes = new ArrayList<>();
    List<NodeBody> given = body.nodes() == null ? List.of() : body.nodes();
    for (int i = 0; i < given.size(); i++) {
      NodeBody n = given.get(i);
      if (n == null) {
        throw ApiException.badRequest("nodes[" + i + "]", "nodes[" + i + "] must be an object with type and config");
      }
      nodes.add(newNode(tenant, "nodes[" + i + "].", n, true));
    }
    Journey created = journeys.create(tenant, name, nodes);
    ObjectNode changes = json.createObjectNode().put("name", name).put("nodes", nodes.size());
    Audit.note(ctx, "create", "journey", created.id(), changes);
    ctx.status(201).json(view(created));
  }

  private void list(Context ctx) {
    Principal p = Auth.principal(ctx);
    String requested = ctx.queryParam("business_id");
    Long tenant = p.admin() && requested == null ? null : p.scope(requested == null ? null : parseId("business_id",
        requested), "business_id");
    List<Map<String, Object>> out = new ArrayList<>();
    for (Journey j : journeys.list(tenant, 1000)) {
      out.add(summary(j));
    }
    ctx.json(Map.of("journeys", out));
  }

  private void rename(Context ctx) throws JsonProcessingException {
    Journey j = journey(ctx);
    RenameBody body = body(ctx, RenameBody.class);
    journeys.rename(j.id(), name("name", body.name()));
    Audit.note(ctx, "update", "journey", j.id(), json.createObjectNode().put("name", body.name().trim()));
    ctx.json(view(journeys.find(j.id()).orElseThrow(() -> noJourney(ctx))));
  }

  private void delete(Context ctx) {
    Journey j = journey(ctx);
    journeys.delete(j.id());
    Audit.note(ctx, "delete", "journey", j.id(), null);
    ctx.status(204);
  }

  private void addNode(Context ctx) throws JsonProcessingException {
    Journey j = journey(ctx);
    NewNode n = newNode(j.tenantId(), "", body(ctx, NodeBody.class), true);
    Node added = journeys.addNode(j.id(), n);
    Audit.note(ctx, "create", "journey_node", added.id(), nodeChanges(j, n.type(), n.config(), n.position()));
    ctx.status(201).json(view(added));
  }

  private void updateNode(Context ctx) throws JsonProcessingException {
    Journey j = journey(ctx);
    long nodeId = nodeId(ctx);
    Node current = journeys.node(j.id(), nodeId).orElseThrow(() -> noNode(ctx));
    NodeBody body = body(ctx, NodeBody.class);
    // the config is checked against the type the node will have
    String type = body.type() != null ? type("type", body.type()) : current.type();
    String config = null;
    if (body.config() != null || body.type() != null) {
      JsonNode cfg = readConfig(current.config());
      if (body.config() != null && (!type.equals(current.type()) || !body.config().isObject() || !cfg.isObject())) {
        // another type's keys mean nothing to this one: its config replaces the old one
        cfg = body.config();
      } else if (body.config() != null) {
        // merged: the keys the request names change (null removes one), the others stay as they were
        ObjectNode merged = ((ObjectNode) cfg).deepCopy();
        body.config().fields().forEachRemaining(e -> {
          if (e.getValue().isNull()) {
            merged.remove(e.getKey());
          } else {
            merged.set(e.getKey(), e.getValue());
          }
        });
        cfg = merged;
      }
      config = config(j.tenantId(), "config", type, cfg);
    }
    Integer position = position("position", body.position());
    ctx.json(view(journeys.updateNode(j.id(), nodeId, body.type() != null ? type : null, config, position)
        .orElseThrow(() -> noNode(ctx))));
    Audit.note(ctx, "update", "journey_node", nodeId, nodeChanges(j, body.type() != null ? type : null, config,
        position));
  }

  private void deleteNode(Context ctx) {
    Journey j = journey(ctx);
    if (!journeys.deleteNode(j.id(), nodeId(ctx))) {
      throw noNode(ctx);
    }
    Audit.note(ctx, "delete", "journey_node", nodeId(ctx), json.createObjectNode().put("journey", j.id()));
    ctx.status(204);
  }

  private void run(Context ctx) throws JsonProcessingException {
    Journey j = journey(ctx);
    RunBody body = body(ctx, RunBody.class);
    if (body.businessId() != null && body.businessId() != j.tenantId()) {
      throw noJourney(ctx);
    }
    String to = CallFields.number("to_number", body.toNumber(), true);
    Long lead = CallFields.leadId("lead_id", body.leadId());
    List<Node> nodes = j.nodes();
    if (nodes.stream().noneMatch(n -> n.type().equals(MAKE_CALL))) {
      throw ApiException.badRequest("journey", "journey " + j.id() + " has no MAKE_CALL node to run");
    }
    // before the run is stored: a run while AMI is down leaves nothing behind, as a single call does
    service.requireAmi();
    long runId = journeys.createRun(j.id(), j.tenantId(), lead, to);
    List<Map<String, Object>> results = new ArrayList<>();
    List<Placed> placed = new ArrayList<>();
    List<OutboundService.CallRequest> requests = new ArrayList<>();
    List<Map<String, Object>> placedViews = new ArrayList<>();
    for (Node n : nodes) {
      Map<String, Object> r = new LinkedHashMap<>();
      r.put("node_id", n.id());
      r.put("type", n.type());
      results.add(r);
      if (!n.type().equals(MAKE_CALL)) {
        r.put("result", "skipped");
        r.put("reason", "only MAKE_CALL nodes are executed by Asterline");
        continue;
      }
      try {
        MakeCall cfg = makeCall("node " + n.id() + " config.", readConfig(n.config()));
        OutboundService.CallRequest request = new OutboundService.CallRequest(j.tenantId(), to, lead, cfg.didId(),
            cfg.didSegment(), cfg.transferNumber(), cfg.audioFile(), cfg.voicemailAction(), cfg.voicemailMessage(),
            runId, n.id());
        placed.add(service.place(request));
        requests.add(request);
        placedViews.add(r);
        r.put("result", "placed");
      } catch (ApiException e) {
        r.put("result", "error");
        r.put("status", e.status());
        r.put("error", e.getMessage());
      }
    }
    long deadline = System.nanoTime() + acceptWait.toNanos();
    for (int i = 0; i < placed.size(); i++) {
      Placed p = placed.get(i);
      Map<String, Object> r = placedViews.get(i);
      try {
        Duration left = Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
        r.putAll(OutboundRoutes.view(p, requests.get(i), service.state(p, OutboundRoutes.await(p, left))));
      } catch (ApiException e) {
        r.put("result", "error");
        r.put("call_id", p.callId());
        r.put("status", e.status());
        r.put("error", e.getMessage());
      }
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("run_id", runId);
    out.put("journey_id", j.id());
    out.put("lead_id", lead);
    out.put("to_number", to);
    out.put("nodes", results);
    ctx.status(202).json(out);
  }

  /** The journey named in the path, if the caller may see it (another tenant's is "not found"). */
  private Journey journey(Context ctx) {
    long id = parseId("id", ctx.pathParam("id"));
    Journey j = journeys.find(id).orElseThrow(() -> noJourney(ctx));
    Principal p = Auth.principal(ctx);
    if (!p.admin() && p.tenantId().getAsLong() != j.tenantId()) {
      throw noJourney(ctx);
    }
    return j;
  }

  private NewNode newNode(long tenant, String prefix, NodeBody n, boolean typeRequired) {
    if (n.type() == null && typeRequired) {
      throw ApiException.badRequest(prefix + "type", prefix + "type is required, e.g. MAKE_CALL");
    }
    String type = type(prefix + "type", n.type());
    return new NewNode(type, config(tenant, prefix + "config", type, n.config()),
        position(prefix + "position", n.position()));
  }

  /** The config as stored: an object; for MAKE_CALL only the known keys, checked and normalised. */
  private String config(long tenant, String field, String type, JsonNode config) {
    if (config == null || config.isNull()) {
      config = json.createObjectNode();
    }
    if (!config.isObject()) {
      throw ApiException.badRequest(field, field + " must be a JSON object");
    }
    if (!type.equals(MAKE_CALL)) {
      return write(config);
    }
    MakeCall m = makeCall(field + ".", config);
    // checked when saved: a journey naming a DID or segment that does not exist would only fail when run
    service.checkCallerId(tenant, m.didId(), m.didSegment(), field + ".didId", field + ".didSegment");
    ObjectNode out = json.createObjectNode();
    m.didId().ifPresent(v -> out.put("didId", v.toString()));
    m.didSegment().ifPresent(v -> out.put("didSegment", v));
    if (m.audioFile() != null) {
      out.put("audioFile", m.audioFile());
    }
    if (m.transferNumber() != null) {
      out.put("transferNumber", m.transferNumber());
    }
    out.put("voicemailAction", m.voicemailAction());
    if (m.voicemailMessage() != null) {
      out.put("voicemailMessage", m.voicemailMessage());
    }
    return write(out);
  }

  private MakeCall makeCall(String prefix, JsonNode c) {
    for (Iterator<String> it = c.fieldNames(); it.hasNext(); ) {
      String key = it.next();
      if (!MAKE_CALL_KEYS.contains(key)) {
        throw ApiException.badRequest(prefix + key, "unknown MAKE_CALL config key " + key + "; known: didId, "
            + "didSegment, audioFile, transferNumber, voicemailAction, voicemailMessage");
      }
      if (!c.get(key).isTextual() && !c.get(key).isNull()) {
        throw ApiException.badRequest(prefix + key, prefix + key + " must be a string");
      }
    }
    String audio = CallFields.audioFile(prefix + "audioFile", text(c, "audioFile"));
    String message = text(c, "voicemailMessage");
    return new MakeCall(
        CallFields.didId(prefix + "didId", text(c, "didId")),
        CallFields.segment(prefix + "didSegment", text(c, "didSegment")),
        audio,
        CallFields.number(prefix + "transferNumber", text(c, "transferNumber"), false),
        CallFields.voicemailAction(prefix + "voicemailAction", text(c, "voicemailAction"), message, audio,
            prefix + "voicemailMessage"),
        message == null || message.isBlank() ? null : message);
  }

  /** A node's change for the audit trail: its journey and what was set. */
  private ObjectNode nodeChanges(Journey j, String type, String config, Integer position) {
    ObjectNode o = json.createObjectNode().put("journey", j.id());
    if (type != null) {
      o.put("type", type);
    }
    if (config != null) {
      o.set("config", readConfig(config));
    }
    if (position != null) {
      o.put("position", position);
    }
    return o;
  }

  private static String text(JsonNode c, String key) {
    JsonNode v = c.get(key);
    return v == null || v.isNull() ? null : v.asText();
  }

  private static String type(String field, String raw) {
    if (raw == null || !TYPE.matcher(raw).matches()) {
      throw ApiException.badRequest(field, field + " must be a node type in capitals such as MAKE_CALL, got '"
          + raw + "'");
    }
    return raw;
  }

  private static Integer position(String field, Integer raw) {
    if (raw != null && raw < 0) {
      throw ApiException.badRequest(field, field + " must be 0 or more, got " + raw);
    }
    return raw;
  }

  private static String name(String field, String raw) {
    if (raw == null || raw.isBlank() || raw.length() > 200) {
      throw ApiException.badRequest(field, field + " is required: 1 to 200 characters");
    }
    return raw.trim();
  }

  private static long parseId(String field, String raw) {
    try {
      long id = Long.parseLong(raw);
      if (id > 0) {
        return id;
      }
    } catch (NumberFormatException e) {
      // answered below
    }
    throw ApiException.badRequest(field, field + " must be a positive number, got '" + raw + "'");
  }

  private static long nodeId(Context ctx) {
    return parseId("node", ctx.pathParam("node"));
  }

  private <T> T body(Context ctx, Class<T> type) throws JsonProcessingException {
    return JsonBody.read(ctx.body(), json, type);
  }

  private JsonNode readConfig(String stored) {
    try {
      return json.readTree(stored);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("stored node config is not JSON", e);
    }
  }

  private String write(JsonNode node) {
    try {
      return json.writeValueAsString(node);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private Map<String, Object> summary(Journey j) {
    Map<String, Object> v = new LinkedHashMap<>();
    v.put("id", j.id());
    v.put("business_id", j.tenantId());
    v.put("name", j.name());
    v.put("created_at", j.createdAt());
    v.put("updated_at", j.updatedAt());
    return v;
  }

  private Map<String, Object> view(Journey j) {
    Map<String, Object> v = summary(j);
    List<Map<String, Object>> nodes = new ArrayList<>();
    j.nodes().forEach(n -> nodes.add(view(n)));
    v.put("nodes", nodes);
    return v;
  }

  private Map<String, Object> view(Node n) {
    Map<String, Object> v = new LinkedHashMap<>();
    v.put("id", n.id());
    v.put("journey_id", n.journeyId());
    v.put("position", n.position());
    v.put("type", n.type());
    v.put("config", readConfig(n.config()));
    v.put("created_at", n.createdAt());
    v.put("updated_at", n.updatedAt());
    return v;
  }

  private static ApiException noJourney(Context ctx) {
    return ApiException.notFound("no journey " + ctx.pathParam("id"));
  }

  private static ApiException noNode(Context ctx) {
    return ApiException.notFound("no node " + ctx.pathParam("node") + " in journey " + ctx.pathParam("id"));
  }
}
