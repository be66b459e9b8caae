package io.asterline.outbound;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.asterline.http.ApiException;
import io.asterline.http.Audit;
import io.asterline.http.Auth;
import io.asterline.http.HttpServer;
import io.asterline.http.JsonBody;
import io.asterline.http.Principal;
import io.asterline.outbound.JourneyRepository.Journey;
import io.asterline.outbound.JourneyRepository.NewNode;
import io.asterline.outbound.JourneyRepository.Node;
import io.asterline.outbound.JourneyService.Called;
import io.asterline.outbound.JourneyService.Outcome;
import io.asterline.outbound.JourneyService.Refused;
import io.asterline.outbound.JourneyService.Scheduled;
import io.asterline.outbound.JourneyService.Run;
import io.asterline.outbound.JourneyService.Skipped;
import io.asterline.outbound.JourneyValidation.NodeInput;
import io.javalin.Javalin;
import io.javalin.http.Context;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Journeys over HTTP: {@code POST /api/journeys}, {@code GET /api/journeys[/{id}]},
 * {@code PUT|DELETE /api/journeys/{id}}, node CRUD under {@code /api/journeys/{id}/nodes}, and
 * {@code POST /api/journeys/{id}/run}. Reads requests, scopes them to the caller's tenant, writes the audit trail
 * and the answers; what a journey may hold is {@link JourneyValidation}'s, running one is {@link JourneyService}'s.
 */
final class JourneyRoutes {

  record JourneyBody(@JsonProperty("business_id") Long businessId, String name, List<NodeInput> nodes) {}

  record RenameBody(String name) {}

  record RunBody(@JsonProperty("business_id") Long businessId, @JsonProperty("lead_id") Long leadId,
      @JsonProperty("to_number") String toNumber) {}

  private final JourneyRepository journeys;
  private final JourneyValidation validation;
  private final JourneyService service;
  private final ObjectMapper json;

  JourneyRoutes(JourneyRepository journeys, JourneyValidation validation, JourneyService service, ObjectMapper json) {
    this.journeys = journeys;
    this.validation = validation;
    this.service = service;
    this.json = json;
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
    JourneyBody body = JsonBody.read(ctx.body(), json, JourneyBody.class);
    long tenant = Auth.principal(ctx).scope(body.businessId(), "business_id");
    String name = JourneyValidation.name("name", body.name());
    List<NewNode> nodes = new ArrayList<>();
    List<NodeInput> given = body.nodes() == null ? List.of() : body.nodes();
    for (int i = 0; i < given.size(); i++) {
      nodes.add(validation.newNode(tenant, "nodes[" + i + "].", given.get(i)));
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
    RenameBody body = JsonBody.read(ctx.body(), json, RenameBody.class);
    journeys.rename(j.id(), JourneyValidation.name("name", body.name()));
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
    NewNode n = validation.newNode(j.tenantId(), "", JsonBody.read(ctx.body(), json, NodeInput.class));
    Node added = journeys.addNode(j.id(), n);
    Audit.note(ctx, "create", "journey_node", added.id(), nodeChanges(j, n.type(), n.config(), n.position()));
    ctx.status(201).json(view(added));
  }

  private void updateNode(Context ctx) throws JsonProcessingException {
    Journey j = journey(ctx);
    long nodeId = nodeId(ctx);
    Node current = journeys.node(j.id(), nodeId).orElseThrow(() -> noNode(ctx));
    NodeInput body = JsonBody.read(ctx.body(), json, NodeInput.class);
    // the config is checked against the type the node will have
    String type = body.type() != null ? JourneyValidation.type("type", body.type()) : current.type();
    String config = validation.changedConfig(j.tenantId(), current, type, body);
    Integer position = JourneyValidation.position("position", body.position());
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
    RunBody body = JsonBody.read(ctx.body(), json, RunBody.class);
    if (body.businessId() != null && body.businessId() != j.tenantId()) {
      throw noJourney(ctx);
    }
    Run run = service.run(j, body.leadId(), body.toNumber());
    List<Map<String, Object>> results = new ArrayList<>();
    for (Outcome o : run.nodes()) {
      results.add(view(o));
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("run_id", run.runId());
    out.put("journey_id", run.journeyId());
    out.put("lead_id", run.leadId());
    out.put("to_number", run.toNumber());
    out.put("nodes", results);
    ctx.status(202).json(out);
  }

  /** One node's outcome as the run's answer shows it; a refused node carries the status a single call would get. */
  private static Map<String, Object> view(Outcome o) {
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("node_id", o.node().id());
    r.put("type", o.node().type());
    if (o instanceof Skipped s) {
      r.put("result", "skipped");
      r.put("reason", s.reason());
    } else if (o instanceof Called c) {
      r.put("result", "placed");
      r.putAll(OutboundRoutes.view(c.placed(), c.request(), c.state()));
    } else if (o instanceof Scheduled s) {
      r.put("result", "scheduled");
      r.put("scheduled_at", s.at().toString());
    } else if (o instanceof Refused f) {
      r.put("result", "error");
      if (f.callId() != null) {
        r.put("call_id", f.callId());
      }
      r.put("status", HttpServer.status(f.error()));
      r.put("error", f.error().getMessage());
    }
    return r;
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

  /** A node's change for the audit trail: its journey and what was set. */
  private ObjectNode nodeChanges(Journey j, String type, String config, Integer position) {
    ObjectNode o = json.createObjectNode().put("journey", j.id());
    if (type != null) {
      o.put("type", type);
    }
    if (config != null) {
      o.set("config", validation.read(config));
    }
    if (position != null) {
      o.put("position", position);
    }
    return o;
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
    v.put("config", validation.read(n.config()));
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
