package io.asterline.did;

import static io.asterline.db.generated.Tables.CALL;
import static io.asterline.http.TestApi.ADMIN_TOKEN;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;
import io.asterline.config.Settings;
import io.asterline.secrets.SecretsConfig;
import io.asterline.secrets.SecretBox;
import io.asterline.tenant.TenantApiKeys;
import io.asterline.db.TestDatabase;
import io.asterline.http.TestApi;
import io.asterline.http.TestApi.Response;
import io.asterline.tenant.TenantRepository;
import io.asterline.tenant.TenantRoutes;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The DID API over real HTTP with real tokens, tenants created through the tenant API. */
class DidRoutesTest {

  private static final String BASE = "/api/asterisk-dids";

  private TestDatabase.Db db;
  private TestApi api;
  private long acme;
  private String acmeToken;
  private long globex;
  private String globexToken;

  @BeforeEach
  void setUp() {
    db = TestDatabase.fresh(4);
    TenantRepository tenants = new TenantRepository(db.dsl());
    api = new TestApi(tenants::activeTenantByTokenHash,
        TenantRoutes.of(tenants, DidFixtures.JSON, "1",
            new TenantApiKeys(db.dsl(), new SecretBox(SecretsConfig.from(Settings.of(Map.of(), Map.of(), Map.of()))))),
        DidRoutes.of(DidFixtures.service(db.dsl()), DidFixtures.health(db.dsl()), DidFixtures.JSON));
    Response a = api.post(ADMIN_TOKEN, "/api/tenants", "{\"name\": \"acme\"}");
    acme = a.body().path("tenant").path("id").asLong();
    acmeToken = a.text("token");
    Response g = api.post(ADMIN_TOKEN, "/api/tenants", "{\"name\": \"globex\"}");
    globex = g.body().path("tenant").path("id").asLong();
    globexToken = g.text("token");
  }

  @AfterEach
  void tearDown() {
    api.close();
    db.close();
  }

  private Response create(String token, String number, String segment) {
    return api.post(token, BASE, """
        {"number": "%s", "segment": "%s", "trunk": "TWILIO"}""".formatted(number, segment));
  }

  private String id(Response r) {
    return r.body().path("id").asText();
  }

  @Test
  void quarantineIsShownInTheApiAndAnOperatorCanReleaseAndPin() {
    Response created = create(acmeToken, "+14155550177", "main");
    UUID did = UUID.fromString(id(created));
    for (int i = 0; i < 25; i++) {
      db.dsl().insertInto(CALL).set(CALL.ID, UUID.randomUUID()).set(CALL.TENANT_ID, acme)
          .set(CALL.DIRECTION, "outbound").set(CALL.DID_ID, did).set(CALL.REMOTE_NUMBER, "+12125550100")
          .set(CALL.STATE, "failed").set(CALL.OUTCOME, i % 5 == 0 ? "busy" : "no_answer")
          .set(CALL.CREATED_AT, java.time.OffsetDateTime.now().minusMinutes(5))
          .set(CALL.ENDED_AT, java.time.OffsetDateTime.now().minusMinutes(4)).execute();
    }
    assertThat(DidFixtures.health(db.dsl()).evaluate()).hasSize(1);

    JsonNode shown = api.get(acmeToken, BASE + "/" + did).body();
    assertThat(shown.path("quarantineReason").asText()).isEqualTo("answer rate 0.0% (0 of 25 calls) below 10.0%");
    assertThat(shown.path("quarantinedUntil").isNull()).isFalse();
    assertThat(shown.path("healthPinned").asBoolean()).isFalse();
    JsonNode health = api.get(acmeToken, BASE + "/" + did + "/health").body();
    assertThat(health.path("health").asText()).isEqualTo("quarantined");
    assertThat(health.path("figures").path("failures").path("no_answer").asLong()).isEqualTo(20);
    assertThat(health.path("figures").path("failures").path("busy").asLong()).isEqualTo(5);
    assertThat(health.path("destinations").get(0).path("destination").asText()).isEqualTo("+1 212");
    assertThat(api.get(acmeToken, BASE + "/health").body().path("dids").get(0).path("health").asText())
        .isEqualTo("quarantined");
    assertThat(api.get(globexToken, BASE + "/health").body().path("dids")).isEmpty();

    assertThat(api.post(globexToken, BASE + "/" + did + "/release", "").status()).isEqualTo(404);
    Response released = api.post(acmeToken, BASE + "/" + did + "/release", "");
    assertThat(released.status()).as(released.toString()).isEqualTo(200);
    assertThat(released.body().path("quarantinedUntil").isNull()).isTrue();
    assertThat(released.body().path("quarantineReason").isNull()).isTrue();
    Response pinned = api.post(acmeToken, BASE + "/" + did + "/pin", "");
    assertThat(pinned.body().path("healthPinned").asBoolean()).isTrue();
    assertThat(api.post(acmeToken, BASE + "/" + did + "/unpin", "").body().path("healthPinned").asBoolean()).isFalse();

    Response bad = api.put(acmeToken, BASE + "/policy", "{\"healthMinAnswerRate\": 1.5}");
    assertThat(bad.status()).isEqualTo(400);
    assertThat(bad.text("field")).isEqualTo("healthMinAnswerRate");
    Response policy = api.put(acmeToken, BASE + "/policy", "{\"dailyCap\": 150, \"healthMinAnswerRate\": 0.15}");
    assertThat(policy.status()).as(policy.toString()).isEqualTo(200);
    assertThat(policy.body().path("policy").path("dailyCap").asInt()).isEqualTo(150);
    assertThat(policy.body().path("effective").path("healthMinAnswerRate").asDouble()).isEqualTo(0.15);
    assertThat(policy.body().path("effective").path("healthMinCalls").asInt()).isEqualTo(20);
    assertThat(api.get(globexToken, BASE + "/policy").body().path("policy").path("dailyCap").isNull()).isTrue();
  }

  @Test
  void createReadUpdateDelete() {
    Response created = api.post(acmeToken, BASE, """
        {"number": "(415) 555-0101", "segment": "twilio-main", "trunk": "TWILIO", "dailyCap": 100,
         "metadata": {"provider": "Twilio", "friendly_name": "Main"}}""");
    assertThat(created.status()).as(created.toString()).isEqualTo(201);
    JsonNode did = created.body();
    assertThat(did.path("number").asText()).isEqualTo("+14155550101");
    assertThat(did.path("tenantId").asLong()).isEqualTo(acme);
    assertThat(did.path("segment").asText()).isEqualTo("twilio-main");
    assertThat(did.path("trunk").asText()).isEqualTo("TWILIO");
    assertThat(did.path("status").asText()).isEqualTo("active");
    assertThat(did.path("usageCount").asLong()).isZero();
    assertThat(did.path("dailyCap").asInt()).isEqualTo(100);
    assertThat(did.path("cooldownSeconds").isNull()).isTrue();
    assertThat(did.path("areaCode").asText()).isEqualTo("415");
    assertThat(did.path("metadata").path("friendly_name").asText()).isEqualTo("Main");

    Response read = api.get(acmeToken, BASE + "/" + id(created));
    assertThat(read.status()).isEqualTo(200);
    assertThat(read.body()).isEqualTo(did);

    Response moved = api.put(acmeToken, BASE + "/" + id(created), "{\"segment\": \"twilio-backup\"}");
    assertThat(moved.status()).as(moved.toString()).isEqualTo(200);
    assertThat(moved.text("segment")).isEqualTo("twilio-backup");
    assertThat(moved.text("trunk")).as("untouched").isEqualTo("TWILIO");
    assertThat(moved.body().path("dailyCap").asInt()).as("untouched").isEqualTo(100);

    Response policies = api.put(acmeToken, BASE + "/" + id(created),
        "{\"dailyCap\": null, \"cooldownSeconds\": 30, \"status\": \"quarantined\"}");
    assertThat(policies.body().path("dailyCap").isNull()).isTrue();
    assertThat(policies.body().path("cooldownSeconds").asInt()).isEqualTo(30);
    assertThat(policies.text("status")).isEqualTo("quarantined");

    Response deleted = api.delete(acmeToken, BASE + "/" + id(created));
    assertThat(deleted.status()).isEqualTo(204);
    assertThat(api.get(acmeToken, BASE + "/" + id(created)).status()).isEqualTo(404);
    assertThat(api.delete(acmeToken, BASE + "/" + id(created)).status()).isEqualTo(404);
  }

  @Test
  void listFiltersAndPages() {
    for (int i = 0; i < 5; i++) {
      create(acmeToken, "+1415555010" + i, "twilio-main");
    }
    create(acmeToken, "+12125550100", "twilio-backup");
    String inactive = id(create(acmeToken, "+12125550101", "twilio-backup"));
    api.put(acmeToken, BASE + "/" + inactive, "{\"status\": \"inactive\", \"trunk\": \"BACKUP\"}");
    create(globexToken, "+13105550100", "twilio-main");

    Response all = api.get(acmeToken, BASE);
    assertThat(all.status()).isEqualTo(200);
    assertThat(all.body().path("total").asInt()).isEqualTo(7);
    assertThat(all.body().path("dids").findValuesAsText("number")).doesNotContain("+13105550100");

    Response page2 = api.get(acmeToken, BASE + "?segment=twilio-main&pageSize=2&page=2");
    assertThat(page2.body().path("total").asInt()).isEqualTo(5);
    assertThat(page2.body().path("page").asInt()).isEqualTo(2);
    assertThat(page2.body().path("dids").findValuesAsText("number")).containsExactly("+14155550102", "+14155550103");

    assertThat(api.get(acmeToken, BASE + "?status=inactive").body().path("dids").findValuesAsText("id"))
        .containsExactly(inactive);
    assertThat(api.get(acmeToken, BASE + "?trunk=BACKUP").body().path("total").asInt()).isEqualTo(1);
    assertThat(api.get(ADMIN_TOKEN, BASE).body().path("total").asInt()).as("the admin sees every tenant").isEqualTo(8);
    assertThat(api.get(ADMIN_TOKEN, BASE + "?tenantId=" + globex).body().path("total").asInt()).isEqualTo(1);

    Response segments = api.get(acmeToken, BASE + "/segments");
    assertThat(segments.status()).isEqualTo(200);
    assertThat(segments.body().toString()).isEqualTo("{\"segments\":[\"twilio-backup\",\"twilio-main\"]}");

    assertField(api.get(acmeToken, BASE + "?status=parked"), 400, "status");
    assertField(api.get(acmeToken, BASE + "?pageSize=5000"), 400, "pageSize");
    assertField(api.get(acmeToken, BASE + "?page=0"), 400, "page");
  }

  @Test
  void nextAvailableBySegmentPicksAndCountsUnlessPeeking() {
    String a = id(create(acmeToken, "+14155550101", "twilio-main"));
    String b = id(create(acmeToken, "+14155550102", "twilio-main"));
    create(globexToken, "+14155550103", "twilio-main");
    String path = BASE + "/next-available-by-segment?segment=twilio-main";

    Response peek = api.get(acmeToken, path + "&peek=true");
    assertThat(peek.status()).isEqualTo(200);
    assertThat(peek.body().path("available").asBoolean()).isTrue();
    String first = peek.body().path("did").path("id").asText();
    assertThat(peek.body().path("did").path("usageCount").asLong()).isZero();
    assertThat(api.get(acmeToken, path + "&peek=true").body().path("did").path("id").asText()).isEqualTo(first);

    Response picked = api.get(acmeToken, path);
    JsonNode did = picked.body().path("did");
    assertThat(did.path("id").asText()).isEqualTo(first);
    assertThat(did.path("number").asText()).startsWith("+1415555010");
    assertThat(did.path("segment").asText()).isEqualTo("twilio-main");
    assertThat(did.path("trunk").asText()).isEqualTo("TWILIO");
    assertThat(did.path("usageCount").asLong()).isEqualTo(1);
    assertThat(api.get(acmeToken, path).body().path("did").path("id").asText())
        .isEqualTo(first.equals(a) ? b : a);

    assertThat(api.get(acmeToken, BASE + "/next-available-by-segment?segment=empty").body().toString())
        .isEqualTo("{\"available\":false}");
    assertField(api.get(acmeToken, BASE + "/next-available-by-segment"), 400, "segment");
    assertField(api.get(acmeToken, BASE + "/next-available-by-segment?segment=bad%20name"), 400, "segment");
    assertField(api.get(acmeToken, path + "&peek=maybe"), 400, "peek");
    assertField(api.get(acmeToken, path + "&callee=not-a-number"), 400, "callee");

    assertField(api.get(ADMIN_TOKEN, path), 400, "tenantId");
    Response forAcme = api.get(ADMIN_TOKEN, path + "&tenantId=" + acme + "&peek=true");
    assertThat(forAcme.body().path("did").path("tenantId").asLong()).isEqualTo(acme);
  }

  @Test
  void nextAvailablePrefersTheCalleesAreaCode() {
    create(acmeToken, "+14155550101", "twilio-main");
    String ny = id(create(acmeToken, "+12125550101", "twilio-main"));
    String path = BASE + "/next-available-by-segment?segment=twilio-main&callee=";
    api.get(acmeToken, path + "%2B12125559999");
    Response again = api.get(acmeToken, path + "(212)%20555-9999");
    assertThat(again.body().path("did").path("id").asText()).as("used once already, but local").isEqualTo(ny);
    assertThat(again.body().path("did").path("usageCount").asLong()).isEqualTo(2);
    Response elsewhere = api.get(acmeToken, path + "%2B13105559999");
    assertThat(elsewhere.body().path("did").path("number").asText()).isEqualTo("+14155550101");
  }

  @Test
  void anotherTenantsDidIsNotFound() {
    String theirs = id(create(globexToken, "+14155550101", "twilio-main"));
    assertThat(api.get(acmeToken, BASE + "/" + theirs).status()).isEqualTo(404);
    assertThat(api.put(acmeToken, BASE + "/" + theirs, "{\"segment\": \"stolen\"}").status()).isEqualTo(404);
    assertThat(api.delete(acmeToken, BASE + "/" + theirs).status()).isEqualTo(404);
    assertThat(api.get(acmeToken, BASE + "?tenantId=" + globex).status()).isEqualTo(404);
    assertThat(api.get(acmeToken, BASE + "/segments").body().path("segments")).isEmpty();
    assertThat(api.post(acmeToken, BASE, """
        {"tenantId": %d, "number": "+14155550199", "segment": "s", "trunk": "T"}""".formatted(globex)).status())
        .isEqualTo(404);
    Response taken = create(acmeToken, "+14155550101", "mine");
    assertThat(taken.status()).isEqualTo(409);
    assertThat(taken.text("error")).contains("+14155550101", "not available")
        .doesNotContain("exists").doesNotContain("globex").doesNotContain("tenant " + globex);
    assertThat(create(globexToken, "+14155550101", "again").text("error")).contains("this tenant's DIDs already");
    assertThat(api.post(ADMIN_TOKEN, BASE, """
        {"tenantId": %d, "number": "+14155550101", "segment": "s", "trunk": "T"}""".formatted(acme)).text("error"))
        .contains("tenant " + globex);
    assertThat(api.get(acmeToken, BASE + "/next-available-by-segment?segment=twilio-main").body().toString())
        .isEqualTo("{\"available\":false}");
    assertThat(api.get(globexToken, BASE + "/" + theirs).body().path("segment").asText()).isEqualTo("twilio-main");
    assertThat(api.get(acmeToken, BASE + "/not-a-uuid").status()).isEqualTo(404);
  }

  @Test
  void theAdminNamesTheTenantWhenCreating() {
    assertField(api.post(ADMIN_TOKEN, BASE, "{\"number\": \"+14155550101\", \"segment\": \"s\", \"trunk\": \"T\"}"),
        400, "tenantId");
    Response created = api.post(ADMIN_TOKEN, BASE, """
        {"tenantId": %d, "number": "+14155550101", "segment": "s", "trunk": "T"}""".formatted(globex));
    assertThat(created.status()).isEqualTo(201);
    assertThat(created.body().path("tenantId").asLong()).isEqualTo(globex);
    assertThat(api.get(ADMIN_TOKEN, BASE + "/" + id(created)).status()).isEqualTo(200);
    assertField(api.post(ADMIN_TOKEN, BASE, """
        {"tenantId": 424242, "number": "+14155550102", "segment": "s", "trunk": "T"}"""), 400, "tenantId");
  }

  @Test
  void missingOrWrongTokensAre401() {
    for (Response r : List.of(api.get(null, BASE), api.get("wrong", BASE), api.get("wrong", BASE + "/segments"),
        api.post(null, BASE, "{}"), api.get(null, BASE + "/next-available-by-segment?segment=s"))) {
      assertThat(r.status()).isEqualTo(401);
      assertThat(r.text("error")).isNotBlank();
    }
  }

  @Test
  void badInputIsA400NamingTheField() {
    assertField(api.post(acmeToken, BASE, "{\"number\": \"12ab\", \"segment\": \"s\", \"trunk\": \"T\"}"), 400, "number");
    assertField(api.post(acmeToken, BASE, "{\"segment\": \"s\", \"trunk\": \"T\"}"), 400, "number");
    assertField(api.post(acmeToken, BASE, "{\"number\": \"+14155550101\", \"trunk\": \"T\"}"), 400, "segment");
    assertField(api.post(acmeToken, BASE, "{\"number\": \"+14155550101\", \"segment\": \"\", \"trunk\": \"T\"}"), 400,
        "segment");
    assertField(api.post(acmeToken, BASE, "{\"number\": \"+14155550101\", \"segment\": \"a b\", \"trunk\": \"T\"}"), 400,
        "segment");
    assertField(api.post(acmeToken, BASE, "{\"number\": \"+14155550101\", \"segment\": \"s\"}"), 400, "trunk");
    assertField(api.post(acmeToken, BASE,
        "{\"number\": \"+14155550101\", \"segment\": \"s\", \"trunk\": \"T\", \"status\": \"parked\"}"), 400, "status");
    assertField(api.post(acmeToken, BASE,
        "{\"number\": \"+14155550101\", \"segment\": \"s\", \"trunk\": \"T\", \"dailyCap\": 0}"), 400, "dailyCap");
    assertField(api.post(acmeToken, BASE,
        "{\"number\": \"+14155550101\", \"segment\": \"s\", \"trunk\": \"T\", \"metadata\": [1]}"), 400, "metadata");
    assertField(api.post(acmeToken, BASE,
        "{\"number\": \"+14155550101\", \"segment\": \"s\", \"trunk\": \"T\", \"usageCount\": 9}"), 400, "usageCount");
    assertField(api.post(acmeToken, BASE, "[]"), 400, "body");
    assertField(api.post(acmeToken, BASE, "{"), 400, "body");

    String id = id(create(acmeToken, "+14155550101", "s"));
    assertField(create(acmeToken, "415-555-0101", "other"), 409, "number");
    assertField(api.put(acmeToken, BASE + "/" + id, "{\"status\": \"gone\"}"), 400, "status");
    assertField(api.put(acmeToken, BASE + "/" + id, "{\"segment\": null}"), 400, "segment");
    assertField(api.put(acmeToken, BASE + "/" + id, "{\"number\": \"+1\"}"), 400, "number");
    assertField(api.put(acmeToken, BASE + "/" + id, "{\"cooldownSeconds\": -5}"), 400, "cooldownSeconds");
    assertThat(api.get(acmeToken, BASE + "/" + id).text("status")).as("nothing stored").isEqualTo("active");
  }

  @Test
  void numbersMustHaveALengthTheirCountryUses() {
    Response shortNational = create(acmeToken, "12345", "s");
    assertField(shortNational, 400, "number");
    assertThat(shortNational.text("error")).contains("number", "'12345'", "too short for +1", "looks like +1");
    Response nineDigits = create(acmeToken, "+1234567890", "s");
    assertField(nineDigits, 400, "number");
    assertThat(nineDigits.text("error")).contains("'+1234567890'", "too short for +1");
    assertThat(api.get(acmeToken, BASE).body().path("total").asInt()).as("nothing stored").isZero();
  }

  private static void assertField(Response r, int status, String field) {
    assertThat(r.status()).as(r.toString()).isEqualTo(status);
    assertThat(r.text("field")).as(r.toString()).isEqualTo(field);
    assertThat(r.text("error")).isNotBlank();
  }

  @Test
  void theConsoleSeesEachPoolSummedOverAllItsNumbersAndItsCallsPerDay() {
    create(acmeToken, "+14155550101", "main");
    create(acmeToken, "+14155550102", "main");
    String capped = id(api.post(acmeToken, BASE, """
        {"number": "+14155550103", "segment": "spare", "trunk": "DIDWW", "status": "quarantined",
         "dailyCap": 40, "cooldownSeconds": 30}"""));
    create(globexToken, "+14155550199", "main");
    db.dsl().insertInto(CALL)
        .set(CALL.ID, UUID.randomUUID())
        .set(CALL.TENANT_ID, acme)
        .set(CALL.DIRECTION, "inbound")
        .set(CALL.DID_ID, UUID.fromString(capped))
        .execute();

    JsonNode segments = api.get(acmeToken, BASE + "/segments/summary").body().path("segments");
    assertThat(segments).hasSize(2);
    JsonNode main = segments.get(0);
    assertThat(main.path("segment").asText()).isEqualTo("main");
    assertThat(main.path("dids").asLong()).as("the other tenant's number is not counted").isEqualTo(2);
    assertThat(main.path("statuses").path("active").asLong()).isEqualTo(2);
    assertThat(main.path("dailyCaps").get(0).isNull()).as("the configured default").isTrue();
    JsonNode spare = segments.get(1);
    assertThat(spare.path("statuses").path("quarantined").asLong()).isEqualTo(1);
    assertThat(spare.path("trunks").get(0).asText()).isEqualTo("DIDWW");
    assertThat(spare.path("dailyCaps").get(0).asInt()).isEqualTo(40);
    assertThat(spare.path("cooldownSeconds").get(0).asInt()).isEqualTo(30);
    assertThat(api.get(ADMIN_TOKEN, BASE + "/segments/summary").body().path("segments").get(0).path("dids").asLong())
        .as("the admin sees every tenant's pool").isEqualTo(3);

    JsonNode usage = api.get(acmeToken, BASE + "/segments/usage?days=7").body();
    assertThat(usage.path("usage")).hasSize(1);
    assertThat(usage.path("usage").get(0).path("segment").asText()).isEqualTo("spare");
    assertThat(usage.path("usage").get(0).path("calls").asLong()).isEqualTo(1);
    assertThat(api.get(globexToken, BASE + "/segments/usage").body().path("usage")).isEmpty();
    assertThat(api.get(acmeToken, BASE + "/segments/usage?days=0").status()).isEqualTo(400);
  }
}
