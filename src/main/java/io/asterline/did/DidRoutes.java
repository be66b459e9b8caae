package io.asterline.did;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.asterline.did.DidRepository.DidPatch;
import io.asterline.did.DidRepository.NewDid;
import io.asterline.did.DidRepository.Page;
import io.asterline.http.ApiException;
import io.asterline.http.Audit;
import io.asterline.http.Auth;
import io.asterline.http.JsonBody;
import io.asterline.http.Principal;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HttpStatus;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.UUID;
import java.util.function.Consumer;

/**
 * The DID API, on the paths the old backend used ({@code /api/asterisk-dids}) so its clients keep working.
 * A tenant token sees only its tenant's numbers (another tenant's is "not found"); the admin token sees
 * all of them and names the tenant ({@code tenantId}) when creating or picking.
 */
public final class DidRoutes {

  private static final String BASE = "/api/asterisk-dids";
  private static final Set<String> CREATE_FIELDS =
      Set.of("tenantId", "number", "segment", "trunk", "status", "dailyCap", "cooldownSeconds", "metadata");
  private static final Set<String> UPDATE_FIELDS =
      Set.of("number", "segment", "trunk", "status", "dailyCap", "cooldownSeconds", "metadata");
  private static final int MAX_PAGE_SIZE = 500;
  private static final int MAX_COOLDOWN_SECONDS = 7 * 24 * 3600;

  private static final Set<String> POLICY_FIELDS = Set.of("dailyCap", "healthMinCalls", "healthMinAnswerRate",
      "healthMaxShortCallRatio", "healthMaxVoicemailRate", "healthCoolOffSeconds");

  private final DidService dids;
  private final NumberHealth health;
  private final ObjectMapper json;

  private DidRoutes(DidService dids, NumberHealth health, ObjectMapper json) {
    this.dids = dids;
    this.health = health;
    this.json = json;
  }

  /** The routes, for {@code HttpServer.routes(...)}. */
  public static Consumer<Javalin> of(DidService dids, NumberHealth health, ObjectMapper json) {
    DidRoutes r = new DidRoutes(dids, health, json);
    return app -> {
      // the fixed paths first, so they are not taken for an {id}
      app.get(BASE + "/health", r::healthList);
      app.get(BASE + "/policy", r::policy);
      app.put(BASE + "/policy", r::setPolicy);
      app.get(BASE + "/segments", r::segments);
      app.get(BASE + "/segments/usage", r::segmentUsage);
      app.get(BASE + "/segments/summary", r::segmentSummary);
      app.get(BASE + "/next-available-by-segment", r::nextAvailable);
      app.get(BASE, r::list);
      app.post(BASE, r::create);
      app.get(BASE + "/{id}", r::get);
      app.put(BASE + "/{id}", r::update);
      app.delete(BASE + "/{id}", r::delete);
      app.get(BASE + "/{id}/health", r::healthOne);
      app.post(BASE + "/{id}/pin", ctx -> r.setHealth(ctx, "pin", true, false));
      app.post(BASE + "/{id}/unpin", ctx -> r.setHealth(ctx, "unpin", false, false));
      app.post(BASE + "/{id}/release", ctx -> r.setHealth(ctx, "release", null, true));
    };
  }

  // ---------------------------------------------------------------- number health

  /** {@code GET /api/asterisk-dids/health?segment=}: every visible DID's figures over the window. */
  private void healthList(Context ctx) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("dids", health.list(visibleTenants(ctx), param(ctx, "segment").map(DidService::segment)));
    ctx.json(body);
  }

  /** {@code GET /api/asterisk-dids/{id}/health}: one DID's figures, by destination too. */
  private void healthOne(Context ctx) {
    ctx.json(health.one(id(ctx), visibleTenants(ctx)).orElseThrow(() -> notFound(ctx)));
  }

  /** Pin, unpin or release: answers the DID as it is now. */
  private void setHealth(Context ctx, String action, Boolean pinned, boolean release) {
    UUID id = id(ctx);
    ctx.json(dids.setHealth(id, visibleTenants(ctx), pinned, release).orElseThrow(() -> notFound(ctx)));
    Audit.note(ctx, action, "did", id, null);
  }

  /** {@code GET /api/asterisk-dids/policy}: the tenant's own settings and what applies. */
  private void policy(Context ctx) {
    ctx.json(policyBody(health.policy(actingTenant(ctx))));
  }

  /** {@code PUT /api/asterisk-dids/policy}: replaces the tenant's settings; a missing or null field = the default. */
  private void setPolicy(Context ctx) {
    long tenant = actingTenant(ctx);
    JsonBody body = JsonBody.parse(ctx.body(), json, POLICY_FIELDS);
    NumberHealth.Policy p = new NumberHealth.Policy(
        body.integer("dailyCap", 1, Integer.MAX_VALUE).orElse(null),
        body.integer("healthMinCalls", 1, 1_000_000).orElse(null),
        ratio(body, "healthMinAnswerRate"),
        ratio(body, "healthMaxShortCallRatio"),
        ratio(body, "healthMaxVoicemailRate"),
        body.integer("healthCoolOffSeconds", 1, 365 * 24 * 3600).orElse(null));
    ctx.json(policyBody(health.setPolicy(tenant, p)));
    Audit.note(ctx, "update", "did_policy", tenant, body.fields());
  }

  private Map<String, Object> policyBody(NumberHealth.Policy p) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("policy", p);
    body.put("effective", health.effective(p));
    return body;
  }

  private static Double ratio(JsonBody body, String field) {
    if (!body.has(field) || body.isNull(field)) {
      return null;
    }
    com.fasterxml.jackson.databind.JsonNode v = body.fields().get(field);
    if (v.isNumber() && v.asDouble() >= 0 && v.asDouble() <= 1) {
      return v.asDouble();
    }
    throw ApiException.badRequest(field, field + " must be a number from 0 to 1, such as 0.25");
  }

  private void list(Context ctx) {
    OptionalLong tenant = visibleTenants(ctx);
    int page = intParam(ctx, "page", 1, 1, Integer.MAX_VALUE);
    int size = intParam(ctx, "pageSize", 50, 1, MAX_PAGE_SIZE);
    Page result = dids.list(tenant, param(ctx, "segment"), param(ctx, "status"), param(ctx, "trunk"),
        (int) Math.min(Integer.MAX_VALUE, (long) (page - 1) * size), size);
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("dids", result.dids());
    body.put("page", page);
    body.put("pageSize", size);
    body.put("total", result.total());
    ctx.json(body);
  }

  private void segments(Context ctx) {
    ctx.json(Map.of("segments", dids.segments(visibleTenants(ctx))));
  }

  /** {@code GET /api/asterisk-dids/segments/summary}: each pool over all its numbers, for the console. */
  private void segmentSummary(Context ctx) {
    ctx.json(Map.of("segments", dids.segmentSummaries(visibleTenants(ctx))));
  }

  /** {@code GET /api/asterisk-dids/segments/usage?days=14}: calls per segment and day, for the console's chart. */
  private void segmentUsage(Context ctx) {
    int days = intParam(ctx, "days", 14, 1, 366);
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("days", days);
    body.put("usage", dids.usageByDay(visibleTenants(ctx), days));
    ctx.json(body);
  }

  private void nextAvailable(Context ctx) {
    long tenant = actingTenant(ctx);
    String segment = param(ctx, "segment").orElseThrow(() -> ApiException.badRequest("segment",
        "segment is required: the name of a pool, such as twilio-main"));
    boolean peek = boolParam(ctx, "peek");
    Optional<Did> did = dids.next(tenant, Optional.of(segment), param(ctx, "callee"), peek);
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("available", did.isPresent());
    did.ifPresent(d -> body.put("did", d));
    ctx.json(body);
  }

  private void get(Context ctx) {
    ctx.json(dids.find(id(ctx), visibleTenants(ctx)).orElseThrow(() -> notFound(ctx)));
  }

  private void create(Context ctx) {
    Principal principal = Auth.principal(ctx);
    JsonBody body = JsonBody.parse(ctx.body(), json, CREATE_FIELDS);
    Long requested = body.longValue("tenantId").orElse(queryTenant(ctx));
    long tenant = principal.scope(requested, "tenantId");
    Did created = dids.create(new NewDid(tenant,
        body.requiredString("number"),
        body.string("segment").orElse(null),
        body.requiredString("trunk"),
        body.string("status").orElse(null),
        body.integer("dailyCap", 1, Integer.MAX_VALUE).orElse(null),
        body.integer("cooldownSeconds", 0, MAX_COOLDOWN_SECONDS).orElse(null),
        body.object("metadata").orElse(null)), principal.admin() ? OptionalLong.empty() : OptionalLong.of(tenant));
    Audit.note(ctx, "create", "did", created.id(), body.fields());
    ctx.status(HttpStatus.CREATED).json(created);
  }

  private void update(Context ctx) {
    UUID id = id(ctx);
    OptionalLong tenant = visibleTenants(ctx);
    JsonBody body = JsonBody.parse(ctx.body(), json, UPDATE_FIELDS);
    for (String required : new String[] {"number", "segment", "trunk", "status", "metadata"}) {
      if (body.isNull(required)) {
        throw ApiException.badRequest(required, required + " cannot be null");
      }
    }
    DidPatch patch = new DidPatch(
        body.string("number").orElse(null),
        body.string("segment").orElse(null),
        body.string("trunk").orElse(null),
        body.string("status").orElse(null),
        body.integer("dailyCap", 1, Integer.MAX_VALUE).orElse(null),
        body.isNull("dailyCap"),
        body.integer("cooldownSeconds", 0, MAX_COOLDOWN_SECONDS).orElse(null),
        body.isNull("cooldownSeconds"),
        body.object("metadata").orElse(null));
    ctx.json(dids.update(id, tenant, patch).orElseThrow(() -> notFound(ctx)));
    Audit.note(ctx, "update", "did", id, body.fields());
  }

  private void delete(Context ctx) {
    if (!dids.delete(id(ctx), visibleTenants(ctx))) {
      throw notFound(ctx);
    }
    Audit.note(ctx, "delete", "did", id(ctx), null);
    ctx.status(HttpStatus.NO_CONTENT);
  }

  // ---------------------------------------------------------------- request parts

  /** Whose numbers the request may see: a tenant its own; the admin one tenant if named, else all. */
  private static OptionalLong visibleTenants(Context ctx) {
    Principal principal = Auth.principal(ctx);
    Long requested = queryTenant(ctx);
    if (principal.admin()) {
      return requested == null ? OptionalLong.empty() : OptionalLong.of(requested);
    }
    return OptionalLong.of(principal.scope(requested, "tenantId"));
  }

  /** The one tenant a pick or a creation acts for. */
  private static long actingTenant(Context ctx) {
    return Auth.principal(ctx).scope(queryTenant(ctx), "tenantId");
  }

  private static Long queryTenant(Context ctx) {
    return param(ctx, "tenantId").map(v -> {
      try {
        return Long.parseLong(v);
      } catch (NumberFormatException e) {
        throw ApiException.badRequest("tenantId", "tenantId must be a whole number, got '" + v + "'");
      }
    }).orElse(null);
  }

  private static UUID id(Context ctx) {
    try {
      return UUID.fromString(ctx.pathParam("id"));
    } catch (IllegalArgumentException e) {
      throw notFound(ctx);
    }
  }

  private static ApiException notFound(Context ctx) {
    return ApiException.notFound("no DID " + ctx.pathParam("id"));
  }

  private static Optional<String> param(Context ctx, String name) {
    return Optional.ofNullable(ctx.queryParam(name)).filter(v -> !v.isBlank());
  }

  private static int intParam(Context ctx, String name, int dflt, int min, int max) {
    Optional<String> v = param(ctx, name);
    if (v.isEmpty()) {
      return dflt;
    }
    try {
      int n = Integer.parseInt(v.get());
      if (n >= min && n <= max) {
        return n;
      }
    } catch (NumberFormatException e) {
      // answered below
    }
    throw ApiException.badRequest(name, name + " must be a whole number from " + min + " to " + max);
  }

  private static boolean boolParam(Context ctx, String name) {
    return switch (param(ctx, name).orElse("false")) {
      case "true", "1" -> true;
      case "false", "0" -> false;
      default -> throw ApiException.badRequest(name, name + " must be true or false");
    };
  }
}
