package io.asterline.tenant;

import static io.asterline.db.generated.Tables.TENANT;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.asterline.http.ApiException;
import io.asterline.http.Audit;
import io.asterline.http.Auth;
import io.asterline.http.JsonBody;
import io.javalin.Javalin;
import io.javalin.http.Context;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.jooq.DSLContext;
import org.jooq.Record2;
import org.jooq.impl.DSL;

/**
 * A tenant's recording-consent announcement, admin token only: {@code GET|PUT /api/tenants/{id}/consent} with
 * {@code consentSound} (a sound as Playback() names it, the voicemail greeting's format; null removes it) and
 * {@code consentOrder} ({@code before_recording}, the default: played before MixMonitor starts; or
 * {@code after_recording}: on the recording). Every call to the agent plays it first (dialplan/extensions_consent.conf)
 * and the call row keeps when it was announced.
 */
public final class ConsentRoutes {

  private static final String PATH = "/api/tenants/{id}/consent";
  private static final Set<String> FIELDS = Set.of("consentSound", "consentOrder");
  public static final Set<String> ORDERS = Set.of("before_recording", "after_recording");

  private final DSLContext dsl;
  private final ObjectMapper json;

  private ConsentRoutes(DSLContext dsl, ObjectMapper json) {
    this.dsl = dsl;
    this.json = json;
  }

  public static Consumer<Javalin> of(DSLContext dsl, ObjectMapper json) {
    ConsentRoutes r = new ConsentRoutes(dsl, json);
    return app -> {
      app.get(PATH, r::get);
      app.put(PATH, r::update);
    };
  }

  private void get(Context ctx) {
    Auth.principal(ctx).requireAdmin();
    ctx.json(view(read(id(ctx))));
  }

  private void update(Context ctx) {
    Auth.principal(ctx).requireAdmin();
    long id = id(ctx);
    JsonBody body = JsonBody.parse(ctx.body(), json, FIELDS);
    var update = dsl.update(TENANT).set(TENANT.UPDATED_AT, DSL.currentOffsetDateTime());
    if (body.has("consentSound")) {
      String sound = body.isNull("consentSound") ? null : body.string("consentSound").orElse(null);
      if (sound != null && (sound.length() > 200 || !Tenant.SOUND.matcher(sound).matches())) {
        throw ApiException.badRequest("consentSound", "consentSound must name a sound as Playback() does, without"
            + " extension (custom/acme-consent): letters, digits, _ and - between slashes, at most 200 characters;"
            + " null removes the announcement");
      }
      update = update.set(TENANT.CONSENT_SOUND, sound);
    }
    if (body.has("consentOrder")) {
      String order = body.string("consentOrder").orElse(null);
      if (order == null || !ORDERS.contains(order)) {
        throw ApiException.badRequest("consentOrder", "consentOrder must be before_recording or after_recording");
      }
      update = update.set(TENANT.CONSENT_ORDER, order);
    }
    if (update.where(TENANT.ID.eq(id)).execute() == 0) {
      throw ApiException.notFound("no tenant " + id);
    }
    Audit.note(ctx, "update", "tenant", id, body.fields());
    ctx.json(view(read(id)));
  }

  private Record2<String, String> read(long id) {
    Record2<String, String> r = dsl.select(TENANT.CONSENT_SOUND, TENANT.CONSENT_ORDER).from(TENANT)
        .where(TENANT.ID.eq(id)).fetchOne();
    if (r == null) {
      throw ApiException.notFound("no tenant " + id);
    }
    return r;
  }

  private static Map<String, Object> view(Record2<String, String> r) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("consentSound", r.value1());
    m.put("consentOrder", r.value2());
    return m;
  }

  private static long id(Context ctx) {
    try {
      return Long.parseLong(ctx.pathParam("id"));
    } catch (NumberFormatException e) {
      throw ApiException.badRequest("id", "the tenant id must be a number, not '" + ctx.pathParam("id") + "'");
    }
  }
}
