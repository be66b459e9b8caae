package io.asterline.audit;

import static io.asterline.db.generated.Tables.AUDIT_EVENT;
import static org.jooq.impl.DSL.noCondition;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.asterline.feature.Feature;
import io.asterline.http.ApiException;
import io.asterline.http.Audit;
import io.asterline.http.Auth;
import io.javalin.Javalin;
import io.javalin.http.Context;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import org.jooq.Condition;
import org.jooq.DSLContext;
import org.jooq.JSONB;

/**
 * The audit trail: who changed which DID, tenant or journey, and when. The HTTP server writes what routes noted
 * ({@link Audit}); the admin reads it at {@code GET /api/audit?entity=&limit=}, newest first.
 */
public final class AuditLog implements Audit.Sink, Feature {

  private static final Pattern ENTITY = Pattern.compile("[a-z_]{1,32}");
  private static final int MAX_LIMIT = 1000;

  private final DSLContext dsl;
  private final ObjectMapper json;

  public AuditLog(DSLContext dsl, ObjectMapper json) {
    this.dsl = dsl;
    this.json = json;
  }

  /** The audit feature: the sink the HTTP server writes admin changes to, and {@code GET /api/audit}. */
  public static AuditLog start(DSLContext dsl, ObjectMapper json) {
    return new AuditLog(dsl, json);
  }

  @Override
  public String name() {
    return "audit";
  }

  @Override
  public void write(Audit.Event e) {
    String changes;
    try {
      changes = e.changes() == null ? "{}" : json.writeValueAsString(e.changes());
    } catch (JsonProcessingException ex) {
      throw new IllegalStateException(ex);
    }
    dsl.insertInto(AUDIT_EVENT)
        .set(AUDIT_EVENT.ACTOR, e.actor())
        .set(AUDIT_EVENT.ACTION, e.action())
        .set(AUDIT_EVENT.ENTITY, e.entity())
        .set(AUDIT_EVENT.ENTITY_ID, e.entityId())
        .set(AUDIT_EVENT.CHANGES, JSONB.valueOf(changes))
        .execute();
  }

  /** {@code GET /api/audit}, for {@code HttpServer.routes(...)}. */
  @Override
  public Consumer<Javalin> routes() {
    return app -> app.get("/api/audit", this::list);
  }

  private void list(Context ctx) throws JsonProcessingException {
    Auth.principal(ctx).requireAdmin();
    String entity = ctx.queryParam("entity");
    Condition where = noCondition();
    if (entity != null && !entity.isBlank()) {
      if (!ENTITY.matcher(entity).matches()) {
        throw ApiException.badRequest("entity", "entity must be one of did, tenant, journey, journey_node; got '"
            + entity + "'");
      }
      where = where.and(AUDIT_EVENT.ENTITY.eq(entity));
    }
    int limit = 100;
    String l = ctx.queryParam("limit");
    if (l != null && !l.isBlank()) {
      try {
        limit = Integer.parseInt(l);
      } catch (NumberFormatException e) {
        limit = -1;
      }
      if (limit < 1 || limit > MAX_LIMIT) {
        throw ApiException.badRequest("limit", "limit must be a number from 1 to " + MAX_LIMIT + ", got '" + l + "'");
      }
    }
    List<Map<String, Object>> events = new java.util.ArrayList<>();
    for (var r : dsl.selectFrom(AUDIT_EVENT).where(where).orderBy(AUDIT_EVENT.ID.desc()).limit(limit).fetch()) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("id", r.getId());
      m.put("at", r.getAt());
      m.put("actor", r.getActor());
      m.put("action", r.getAction());
      m.put("entity", r.getEntity());
      m.put("entityId", r.getEntityId());
      m.put("changes", json.readTree(r.getChanges().data()));
      events.add(m);
    }
    ctx.json(Map.of("events", events));
  }
}
