package io.asterline.call;

import static io.asterline.db.generated.Tables.ADMISSION_TENANT_USAGE;
import static io.asterline.db.generated.Tables.ADMISSION_TOTAL;
import static io.asterline.db.generated.Tables.CALL;
import static io.asterline.db.generated.Tables.CALL_EVENT;
import static io.asterline.db.generated.Tables.DID;
import static io.asterline.db.generated.Tables.OUTBOUND_CALL;
import static io.asterline.db.generated.Tables.TENANT;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.asterline.http.Auth;
import io.asterline.http.Principal;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.sse.SseClient;
import java.time.OffsetDateTime;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.jooq.DSLContext;
import org.jooq.Field;
import org.jooq.impl.DSL;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The calls in progress on the whole cluster, as PostgreSQL knows them (not one node's memory), and the admission
 * slots each tenant holds against its limit.
 *
 * <pre>
 * GET /api/live-calls          one snapshot {"now", "calls": [...], "admission": {...}}
 * GET /api/live-calls/stream   the same as server-sent events: "snapshot" whenever it changes (checked every
 *                              second), a comment every 15 s otherwise so proxies keep the stream open
 * </pre>
 *
 * One thread polls the database once a second while anyone listens, whatever the number of listeners; each
 * listener gets the part its token may see (a tenant token: its own calls and slots only).
 */
public final class LiveCalls implements Consumer<Javalin>, AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(LiveCalls.class);
  private static final int MAX_CALLS = 500;
  private static final long KEEPALIVE_NANOS = TimeUnit.SECONDS.toNanos(15);

  /** One call in progress. */
  public record LiveCall(UUID id, long tenantId, String tenant, String direction, String did, String remoteNumber,
      String state, OffsetDateTime createdAt, OffsetDateTime answeredAt, OffsetDateTime agentConnectedAt,
      String trunk, String transport, String lastWords) {}

  /** A tenant's admission slots in use against its limit. */
  public record TenantUse(long tenantId, String tenant, int inUse, int limit) {}

  private record Snapshot(OffsetDateTime now, List<LiveCall> calls, List<TenantUse> tenants, int clusterInUse) {}

  private static final class Listener {
    final SseClient client;
    final Principal principal;
    String last;
    long lastSent;

    Listener(SseClient client, Principal principal) {
      this.client = client;
      this.principal = principal;
    }
  }

  private final DSLContext dsl;
  private final ObjectMapper json;
  private final Set<Listener> listeners = ConcurrentHashMap.newKeySet();
  private final ScheduledExecutorService ticker;

  public LiveCalls(DSLContext dsl, ObjectMapper json) {
    this.dsl = dsl;
    this.json = json;
    this.ticker = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "live-calls");
      t.setDaemon(true);
      return t;
    });
    ticker.scheduleWithFixedDelay(this::tick, 1, 1, TimeUnit.SECONDS);
  }

  @Override
  public void accept(Javalin app) {
    app.get("/api/live-calls", this::once);
    app.sse("/api/live-calls/stream", this::subscribe);
  }

  private void once(Context ctx) throws JsonProcessingException {
    Principal p = Auth.principal(ctx);
    ctx.contentType("application/json").result(body(snapshot(), p));
  }

  private void subscribe(SseClient client) {
    Principal p = Auth.principal(client.ctx());
    // no buffering between us and the browser: each event must leave when it is sent
    client.ctx().header("Cache-Control", "no-cache").header("X-Accel-Buffering", "no");
    Listener l = new Listener(client, p);
    client.keepAlive();
    client.onClose(() -> listeners.remove(l));
    listeners.add(l);
    // the first snapshot at once, not after the next tick
    ticker.execute(() -> {
      try {
        send(l, body(snapshot(), p));
      } catch (RuntimeException | JsonProcessingException e) {
        log.warn("live calls: first snapshot failed: {}", e.toString());
      }
    });
  }

  private void tick() {
    if (listeners.isEmpty()) {
      return;
    }
    Snapshot s;
    try {
      s = snapshot();
    } catch (RuntimeException e) {
      // the database is down: listeners keep what they have; /health says why
      log.debug("live calls: {}", e.toString());
      listeners.forEach(this::keepAlive);
      return;
    }
    for (Listener l : listeners) {
      try {
        String b = body(s, l.principal);
        // the snapshot's clock moves every second; only a change of the calls or slots is news
        if (!stripNow(b).equals(l.last == null ? null : stripNow(l.last))) {
          send(l, b);
        } else {
          keepAlive(l);
        }
      } catch (RuntimeException | JsonProcessingException e) {
        listeners.remove(l);
        l.client.close();
      }
    }
  }

  private static String stripNow(String body) {
    int i = body.indexOf(",\"calls\"");
    return i < 0 ? body : body.substring(i);
  }

  private void send(Listener l, String body) {
    if (l.client.terminated()) {
      listeners.remove(l);
      return;
    }
    synchronized (l) {
      l.client.sendEvent("snapshot", body);
      l.last = body;
      l.lastSent = System.nanoTime();
    }
  }

  private void keepAlive(Listener l) {
    if (l.client.terminated()) {
      listeners.remove(l);
    } else if (System.nanoTime() - l.lastSent > KEEPALIVE_NANOS) {
      synchronized (l) {
        l.client.sendComment("keepalive");
        l.lastSent = System.nanoTime();
      }
    }
  }

  private String body(Snapshot s, Principal p) throws JsonProcessingException {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("now", s.now());
    out.put("calls", s.calls().stream().filter(c -> visible(p, c.tenantId())).toList());
    Map<String, Object> admission = new LinkedHashMap<>();
    admission.put("tenants", s.tenants().stream().filter(t -> visible(p, t.tenantId())).toList());
    if (p.admin()) {
      admission.put("clusterInUse", s.clusterInUse());
    }
    out.put("admission", admission);
    return json.writeValueAsString(out);
  }

  private static boolean visible(Principal p, long tenantId) {
    return p.admin() || p.tenantId().getAsLong() == tenantId;
  }

  private Snapshot snapshot() {
    Field<String> lastWords = DSL.field(DSL.select(DSL.field("{0} ->> 'text'", String.class, CALL_EVENT.DETAIL))
        .from(CALL_EVENT)
        .where(CALL_EVENT.CALL_ID.eq(CALL.ID)).and(CALL_EVENT.KIND.eq("turn"))
        .and(DSL.condition("{0} ->> 'role' = 'agent'", CALL_EVENT.DETAIL))
        .orderBy(CALL_EVENT.AT.desc(), CALL_EVENT.ID.desc()).limit(1));
    Field<String> transport = DSL.field(DSL.select(DSL.field("{0} ->> 'transport'", String.class, CALL_EVENT.DETAIL))
        .from(CALL_EVENT)
        .where(CALL_EVENT.CALL_ID.eq(CALL.ID)).and(CALL_EVENT.KIND.eq("connected"))
        .orderBy(CALL_EVENT.AT.desc(), CALL_EVENT.ID.desc()).limit(1));
    List<LiveCall> calls = dsl.select(CALL.ID, CALL.TENANT_ID, TENANT.NAME, CALL.DIRECTION,
            DSL.coalesce(OUTBOUND_CALL.CALLER_ID, DID.NUMBER), CALL.REMOTE_NUMBER, CALL.STATE, CALL.CREATED_AT,
            CALL.ANSWERED_AT, CALL.AGENT_CONNECTED_AT, DSL.coalesce(OUTBOUND_CALL.TRUNK, DID.TRUNK), transport,
            lastWords)
        .from(CALL)
        .join(TENANT).on(TENANT.ID.eq(CALL.TENANT_ID))
        .leftJoin(DID).on(DID.ID.eq(CALL.DID_ID))
        .leftJoin(OUTBOUND_CALL).on(OUTBOUND_CALL.CALL_ID.eq(CALL.ID))
        .where(CALL.ENDED_AT.isNull()).and(CALL.STATE.notIn("ended", "failed"))
        .orderBy(CALL.CREATED_AT.desc(), CALL.ID)
        .limit(MAX_CALLS)
        .fetch(r -> new LiveCall(r.value1(), r.value2(), r.value3(), r.value4(), r.value5(), r.value6(), r.value7(),
            r.value8(), r.value9(), r.value10(), r.value11(),
            // the only transport before the recorder said which one carried the leg
            r.value12() != null ? r.value12() : r.value10() != null ? "audiosocket" : null, r.value13()));
    List<TenantUse> tenants = dsl.select(TENANT.ID, TENANT.NAME,
            DSL.coalesce(ADMISSION_TENANT_USAGE.IN_USE, DSL.inline(0)), TENANT.MAX_CONCURRENT_CALLS)
        .from(TENANT).leftJoin(ADMISSION_TENANT_USAGE).on(ADMISSION_TENANT_USAGE.TENANT_ID.eq(TENANT.ID))
        .where(TENANT.STATUS.eq("active"))
        .orderBy(TENANT.ID)
        .fetch(r -> new TenantUse(r.value1(), r.value2(), r.value3(), r.value4()));
    Integer total = dsl.select(ADMISSION_TOTAL.IN_USE).from(ADMISSION_TOTAL).fetchOne(ADMISSION_TOTAL.IN_USE);
    return new Snapshot(dsl.select(DSL.currentOffsetDateTime()).fetchOne(0, OffsetDateTime.class), calls, tenants,
        total == null ? 0 : total);
  }

  @Override
  public void close() {
    ticker.shutdownNow();
    listeners.forEach(l -> l.client.close());
    listeners.clear();
  }
}
