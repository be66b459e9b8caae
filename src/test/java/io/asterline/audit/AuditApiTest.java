package io.asterline.audit;

import static io.asterline.http.TestApi.ADMIN_TOKEN;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import io.asterline.config.Json;
import io.asterline.db.TestDatabase;
import io.asterline.did.DidConfig;
import io.asterline.did.DidRoutes;
import io.asterline.did.DidService;
import io.asterline.http.TestApi;
import io.asterline.http.TestApi.Response;
import io.asterline.secrets.SecretBox;
import io.asterline.secrets.SecretsConfig;
import io.asterline.config.Settings;
import io.asterline.tenant.TenantApiKeys;
import io.asterline.tenant.TenantRepository;
import io.asterline.tenant.TenantRoutes;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** Every change through the API leaves an audit event the admin can read; every request leaves an access line. */
class AuditApiTest {

  private static TestDatabase.Db db;
  private static TestApi api;

  @BeforeAll
  static void start() {
    db = TestDatabase.fresh(4);
    TenantRepository tenants = new TenantRepository(db.dsl());
    TenantApiKeys keys = new TenantApiKeys(db.dsl(), new SecretBox(SecretsConfig.from(Settings.of(Map.of(), Map.of(),
        Map.of("secrets.key", Base64.getEncoder().encodeToString(new byte[32]))))));
    AuditLog audit = new AuditLog(db.dsl(), Json.mapper());
    DidService dids = DidService.create(db.dsl(), Json.mapper(), DidConfig.from(Settings.of(Map.of(), Map.of(),
        Map.of())), new SimpleMeterRegistry());
    api = new TestApi(tenants::activeTenantByTokenHash, audit, TenantRoutes.of(tenants, Json.mapper(), "1", keys),
        DidRoutes.of(dids, new io.asterline.did.NumberHealth(db.dsl(), DidConfig.Health.defaults(),
            java.util.OptionalInt.empty()), Json.mapper()), audit.routes());
  }

  @AfterAll
  static void stop() {
    api.close();
    db.close();
  }

  @Test
  void changesAreRecordedWithTheirActorAndWithoutSecrets() {
    String key = "sk-proj-Abc123_def456-ghi789jkl012";
    Response created = api.post(ADMIN_TOKEN, "/api/tenants", "{\"name\": \"Audited\", \"openaiApiKey\": \"" + key + "\"}");
    assertThat(created.status()).isEqualTo(201);
    long tenant = created.body().path("tenant").path("id").asLong();
    String token = created.text("token");
    Response did = api.post(token, "/api/asterisk-dids", "{\"number\": \"+14155550111\", \"segment\": \"s\","
        + " \"trunk\": \"T\"}");
    assertThat(did.status()).isEqualTo(201);
    // a refused change leaves nothing
    assertThat(api.post(token, "/api/asterisk-dids", "{\"number\": \"12345\", \"segment\": \"s\", \"trunk\": \"T\"}")
        .status()).isEqualTo(400);
    Response replaced = api.post(ADMIN_TOKEN, "/api/tenants/" + tenant + "/token", null);
    assertThat(replaced.status()).isEqualTo(200);

    Response all = api.get(ADMIN_TOKEN, "/api/audit");
    assertThat(all.status()).isEqualTo(200);
    JsonNode events = all.body().path("events");
    assertThat(events).hasSize(3);
    assertThat(all.body().toString()).doesNotContain(key).doesNotContain(token).doesNotContain(replaced.text("token"));
    JsonNode rotated = events.get(0);
    assertThat(rotated.path("action").asText()).isEqualTo("replace_token");
    assertThat(rotated.path("actor").asText()).isEqualTo("admin");
    JsonNode added = events.get(1);
    assertThat(added.path("entity").asText()).isEqualTo("did");
    assertThat(added.path("actor").asText()).isEqualTo("tenant:" + tenant);
    assertThat(added.path("entityId").asText()).isEqualTo(did.text("id"));
    assertThat(added.path("changes").path("number").asText()).isEqualTo("+14155550111");
    assertThat(added.path("at").asText()).isNotBlank();
    JsonNode tenantCreated = events.get(2);
    assertThat(tenantCreated.path("changes").path("openaiApiKey").asText()).isEqualTo("(set)");
    assertThat(tenantCreated.path("changes").path("name").asText()).isEqualTo("Audited");

    Response dids = api.get(ADMIN_TOKEN, "/api/audit?entity=did&limit=5");
    assertThat(dids.body().path("events")).hasSize(1);
    assertThat(api.get(ADMIN_TOKEN, "/api/audit?limit=0").status()).isEqualTo(400);
    assertThat(api.get(replaced.text("token"), "/api/audit").status()).isEqualTo(403);
  }

  @Test
  void everyRequestHasAnAccessLineWithItsPrincipalAndNoToken() {
    Logger logger = (Logger) LoggerFactory.getLogger("asterline.access");
    ListAppender<ILoggingEvent> lines = new ListAppender<>();
    lines.start();
    logger.addAppender(lines);
    try {
      api.get(ADMIN_TOKEN, "/api/tenants?x=1");
      api.get("wrong-token", "/api/tenants");
      api.delete(ADMIN_TOKEN, "/api/tenants");
    } finally {
      logger.detachAppender(lines);
    }
    assertThat(lines.list).extracting(ILoggingEvent::getFormattedMessage)
        .anySatisfy(l -> assertThat(l).matches("GET /api/tenants 200 \\d+ms admin"))
        .anySatisfy(l -> assertThat(l).matches("GET /api/tenants 401 \\d+ms -"))
        .anySatisfy(l -> assertThat(l).matches("DELETE /api/tenants 405 \\d+ms admin"))
        .allSatisfy(l -> assertThat(l).doesNotContain(ADMIN_TOKEN).doesNotContain("wrong-token"));
  }
}
