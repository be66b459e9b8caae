package io.asterline.tenant;

import static io.asterline.db.generated.Tables.TENANT;
import static io.asterline.http.TestApi.ADMIN_TOKEN;
import static org.assertj.core.api.Assertions.assertThat;

import io.asterline.db.TestDatabase;
import io.asterline.http.Auth;
import io.asterline.http.TestApi;
import io.asterline.http.TestApi.Response;
import io.javalin.Javalin;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class TenantRoutesTest {

  private static TestDatabase.Db db;
  private static TestApi api;
  private static TenantApiKeys keys;

  @BeforeAll
  static void start() {
    db = TestDatabase.fresh(4);
    TenantRepository tenants = new TenantRepository(db.dsl());
    keys = new TenantApiKeys(db.dsl(), new io.asterline.secrets.SecretBox(io.asterline.secrets.SecretsConfig.from(
        io.asterline.config.Settings.of(java.util.Map.of(), java.util.Map.of(),
            java.util.Map.of("secrets.key", java.util.Base64.getEncoder().encodeToString(new byte[32]))))));
    // a probe route behind the same auth, to show which tokens work
    api = new TestApi(tenants::activeTenantByTokenHash, TenantRoutes.of(tenants, io.asterline.config.Json.mapper(), "1", keys),
        (Javalin app) -> app.get("/api/whoami", ctx -> ctx.json(java.util.Map.of("tenantId",
            Auth.principal(ctx).tenantId().orElse(-1)))));
  }

  @AfterAll
  static void stop() {
    api.close();
    db.close();
  }

  /** Every per-tenant setting the README documents is settable and readable through the API. */
  @Test
  void everyAgentSettingIsSettableAndReadable() {
    Response created = api.post(ADMIN_TOKEN, "/api/tenants", "{\"name\": \"Settings\"}");
    long id = created.body().path("tenant").path("id").asLong();
    assertThat(created.body().path("tenant").path("aiFallback").asText()).as("database default").isEqualTo("transfer");
    assertThat(created.body().path("tenant").path("openaiApiKeySet").asBoolean()).isFalse();

    Response updated = api.put(ADMIN_TOKEN, "/api/tenants/" + id, """
        {"inboundRoute": "voicemail", "aiGoodbye": "Bye now.", "aiFallback": "hangup", "silenceTimeoutMs": 9000,
         "voicemailDetection": "all", "voicemailWindowMs": 8000, "voicemailAction": "leave_message",
         "voicemailMessage": "Please call us back.", "transcriptionEnabled": true}""");
    assertThat(updated.status()).as(updated.toString()).isEqualTo(200);
    Response read = api.get(ADMIN_TOKEN, "/api/tenants/" + id);
    assertThat(read.text("inboundRoute")).isEqualTo("voicemail");
    assertThat(read.text("aiGoodbye")).isEqualTo("Bye now.");
    assertThat(read.text("aiFallback")).isEqualTo("hangup");
    assertThat(read.body().path("silenceTimeoutMs").asInt()).isEqualTo(9000);
    assertThat(read.text("voicemailDetection")).isEqualTo("all");
    assertThat(read.body().path("voicemailWindowMs").asInt()).isEqualTo(8000);
    assertThat(read.text("voicemailAction")).isEqualTo("leave_message");
    assertThat(read.text("voicemailMessage")).isEqualTo("Please call us back.");
    assertThat(read.body().path("transcriptionEnabled").asBoolean()).isTrue();
    assertThat(db.dsl().fetchValue(TENANT.TRANSCRIPTION_ENABLED, TENANT.ID.eq(id))).isTrue();

    Response badFallback = api.put(ADMIN_TOKEN, "/api/tenants/" + id, "{\"aiFallback\": \"pray\"}");
    assertThat(badFallback.status()).isEqualTo(400);
    assertThat(badFallback.text("field")).isEqualTo("aiFallback");
    assertThat(badFallback.text("error")).contains("hangup, transfer, voicemail");
    Response tooShort = api.put(ADMIN_TOKEN, "/api/tenants/" + id, "{\"silenceTimeoutMs\": 10}");
    assertThat(tooShort.status()).isEqualTo(400);
    assertThat(tooShort.text("field")).isEqualTo("silenceTimeoutMs");
    // settings that depend on each other: a message to leave needs its text, a forward needs its number
    Response noMessage = api.put(ADMIN_TOKEN, "/api/tenants/" + id, "{\"voicemailMessage\": null}");
    assertThat(noMessage.status()).as(noMessage.toString()).isEqualTo(400);
    assertThat(noMessage.text("field")).isEqualTo("voicemailAction");
    Response noNumber = api.put(ADMIN_TOKEN, "/api/tenants/" + id, "{\"inboundRoute\": \"forward\"}");
    assertThat(noNumber.status()).as(noNumber.toString()).isEqualTo(400);
    assertThat(noNumber.text("field")).isEqualTo("inboundRoute");
    // nothing stored changed
    assertThat(api.get(ADMIN_TOKEN, "/api/tenants/" + id).text("voicemailMessage")).isEqualTo("Please call us back.");
  }

  /** A tenant's OpenAI key goes in through the API, is stored sealed, and never comes back out. */
  @Test
  void theTenantsOpenAiKeyIsWriteOnlyAndStoredEncrypted() {
    String key = "sk-proj-Abc123_def456-ghi789jkl012";
    Response created = api.post(ADMIN_TOKEN, "/api/tenants", "{\"name\": \"Keyed\", \"openaiApiKey\": \"" + key + "\"}");
    assertThat(created.status()).as(created.toString()).isEqualTo(201);
    long id = created.body().path("tenant").path("id").asLong();
    assertThat(created.toString()).doesNotContain(key);
    String stored = db.dsl().fetchValue(TENANT.OPENAI_API_KEY, TENANT.ID.eq(id));
    assertThat(stored).startsWith(io.asterline.secrets.SecretBox.ENCRYPTED_PREFIX).doesNotContain(key);
    assertThat(keys.reveal(id, stored)).isEqualTo(key);

    String rotated = "sk-Zyx987_wvu654-tsr321qpo000";
    Response updated = api.put(ADMIN_TOKEN, "/api/tenants/" + id, "{\"openaiApiKey\": \"" + rotated + "\"}");
    assertThat(updated.status()).as(updated.toString()).isEqualTo(200);
    assertThat(keys.reveal(id, db.dsl().fetchValue(TENANT.OPENAI_API_KEY, TENANT.ID.eq(id)))).isEqualTo(rotated);
    Response read = api.get(ADMIN_TOKEN, "/api/tenants/" + id);
    assertThat(read.toString()).doesNotContain(rotated).doesNotContain(key)
        .doesNotContain(io.asterline.secrets.SecretBox.ENCRYPTED_PREFIX);
    assertThat(api.get(ADMIN_TOKEN, "/api/tenants").toString()).doesNotContain(rotated);

    // a bad value is refused without being quoted back, and nothing stored changes
    Response bad = api.put(ADMIN_TOKEN, "/api/tenants/" + id, "{\"openaiApiKey\": \"my secret password\"}");
    assertThat(bad.status()).isEqualTo(400);
    assertThat(bad.text("field")).isEqualTo("openaiApiKey");
    assertThat(bad.toString()).doesNotContain("my secret password");
    assertThat(keys.reveal(id, db.dsl().fetchValue(TENANT.OPENAI_API_KEY, TENANT.ID.eq(id)))).isEqualTo(rotated);

    // null: back to the service's key
    assertThat(api.put(ADMIN_TOKEN, "/api/tenants/" + id, "{\"openaiApiKey\": null}").status()).isEqualTo(200);
    assertThat(db.dsl().fetchValue(TENANT.OPENAI_API_KEY, TENANT.ID.eq(id))).isNull();
  }

  @Test
  void createReturnsTheTokenOnceAndStoresOnlyItsHash() {
    Response created = api.post(ADMIN_TOKEN, "/api/tenants", """
        {"name": "Acme Dental", "maxConcurrentCalls": 4, "aiVoice": "cedar", "aiLanguage": "en-US",
         "transferNumber": "(415) 555-0100", "recordingEnabled": false}""");
    assertThat(created.status()).as(created.toString()).isEqualTo(201);
    String token = created.text("token");
    long id = created.body().path("tenant").path("id").asLong();
    assertThat(token).startsWith("atl_").hasSizeGreaterThan(40);
    assertThat(created.body().path("tenant").path("name").asText()).isEqualTo("Acme Dental");
    assertThat(created.body().path("tenant").path("maxConcurrentCalls").asInt()).isEqualTo(4);
    assertThat(created.body().path("tenant").path("transferNumber").asText()).isEqualTo("+14155550100");
    assertThat(created.body().path("tenant").path("aiModel").asText()).as("database default").isEqualTo("gpt-realtime");
    assertThat(created.body().path("tenant").has("apiTokenHash")).isFalse();

    String stored = db.dsl().select(TENANT.API_TOKEN_HASH).from(TENANT).where(TENANT.ID.eq(id)).fetchOne(TENANT.API_TOKEN_HASH);
    assertThat(stored).isEqualTo(Auth.hash(token)).isNotEqualTo(token);

    Response me = api.get(token, "/api/whoami");
    assertThat(me.status()).isEqualTo(200);
    assertThat(me.body().path("tenantId").asLong()).isEqualTo(id);

    Response listed = api.get(ADMIN_TOKEN, "/api/tenants");
    assertThat(listed.status()).isEqualTo(200);
    assertThat(listed.body().path("tenants").findValuesAsText("name")).contains("Acme Dental");
    assertThat(listed.body().toString()).doesNotContain(token).doesNotContain(stored);

    Response one = api.get(ADMIN_TOKEN, "/api/tenants/" + id);
    assertThat(one.body().path("aiVoice").asText()).isEqualTo("cedar");
  }

  @Test
  void updateChangesLimitsAgentSettingsAndStatus() {
    Response created = api.post(ADMIN_TOKEN, "/api/tenants", "{\"name\": \"Globex\"}");
    long id = created.body().path("tenant").path("id").asLong();
    String token = created.text("token");

    Response updated = api.put(ADMIN_TOKEN, "/api/tenants/" + id, """
        {"maxConcurrentCalls": 25, "aiInstructions": "Be brief.", "aiGreeting": "Globex, hi!",
         "transferNumber": "+12125550100"}""");
    assertThat(updated.status()).as(updated.toString()).isEqualTo(200);
    assertThat(updated.body().path("maxConcurrentCalls").asInt()).isEqualTo(25);
    assertThat(updated.body().path("aiInstructions").asText()).isEqualTo("Be brief.");
    assertThat(updated.body().path("name").asText()).as("untouched").isEqualTo("Globex");

    Response cleared = api.put(ADMIN_TOKEN, "/api/tenants/" + id, "{\"transferNumber\": null}");
    assertThat(cleared.body().path("transferNumber").isNull()).isTrue();

    assertThat(api.put(ADMIN_TOKEN, "/api/tenants/" + id, "{\"status\": \"disabled\"}").status()).isEqualTo(200);
    assertThat(api.get(token, "/api/whoami").status()).as("a disabled tenant's token stops working").isEqualTo(401);
    assertThat(api.put(ADMIN_TOKEN, "/api/tenants/" + id, "{\"status\": \"active\"}").status()).isEqualTo(200);
    assertThat(api.get(token, "/api/whoami").status()).isEqualTo(200);

    assertThat(api.put(ADMIN_TOKEN, "/api/tenants/999999", "{\"maxConcurrentCalls\": 1}").status()).isEqualTo(404);
    assertThat(api.get(ADMIN_TOKEN, "/api/tenants/nope").status()).isEqualTo(404);
  }

  @Test
  void theVoicemailGreetingIsASoundNameAndNullRestoresTheDefault() {
    long id = api.post(ADMIN_TOKEN, "/api/tenants", "{\"name\": \"Hooli\"}").body().path("tenant").path("id").asLong();
    assertThat(api.get(ADMIN_TOKEN, "/api/tenants/" + id).body().path("voicemailGreetingSound").isNull()).isTrue();

    Response set = api.put(ADMIN_TOKEN, "/api/tenants/" + id, "{\"voicemailGreetingSound\": \"custom/hooli-vm\"}");
    assertThat(set.status()).as(set.toString()).isEqualTo(200);
    assertThat(set.body().path("voicemailGreetingSound").asText()).isEqualTo("custom/hooli-vm");
    assertThat(api.put(ADMIN_TOKEN, "/api/tenants/" + id,
        "{\"voicemailGreetingSound\": \"/var/lib/asterisk/sounds/hooli\"}").status()).isEqualTo(200);

    // a file extension, a parent directory, or anything the dialplan would act on is refused
    for (String bad : new String[] {"custom/vm.wav", "../../etc/passwd", "vm,beep", "a&b", "${X}", " ", "custom//vm"}) {
      assertField(api.put(ADMIN_TOKEN, "/api/tenants/" + id, "{\"voicemailGreetingSound\": \"" + bad + "\"}"), 400,
          "voicemailGreetingSound");
    }

    Response cleared = api.put(ADMIN_TOKEN, "/api/tenants/" + id, "{\"voicemailGreetingSound\": null}");
    assertThat(cleared.body().path("voicemailGreetingSound").isNull()).as("back to vm-intro").isTrue();
  }

  @Test
  void replacingTheTokenRetiresTheOldOne() {
    Response created = api.post(ADMIN_TOKEN, "/api/tenants", "{\"name\": \"Initech\"}");
    long id = created.body().path("tenant").path("id").asLong();
    String old = created.text("token");
    Response replaced = api.post(ADMIN_TOKEN, "/api/tenants/" + id + "/token", null);
    assertThat(replaced.status()).isEqualTo(200);
    assertThat(api.get(replaced.text("token"), "/api/whoami").status()).isEqualTo(200);
    assertThat(api.get(old, "/api/whoami").status()).isEqualTo(401);
  }

  @Test
  void onlyTheAdminTokenManagesTenants() {
    Response missing = api.get(null, "/api/tenants");
    assertThat(missing.status()).isEqualTo(401);
    assertThat(missing.text("error")).contains("missing bearer token");
    assertThat(api.get("not-a-token", "/api/tenants").status()).isEqualTo(401);
    assertThat(api.post("not-a-token", "/api/tenants", "{\"name\": \"x\"}").status()).isEqualTo(401);

    String tenantToken = api.post(ADMIN_TOKEN, "/api/tenants", "{\"name\": \"Umbrella\"}").text("token");
    Response forbidden = api.get(tenantToken, "/api/tenants");
    assertThat(forbidden.status()).isEqualTo(403);
    assertThat(api.post(tenantToken, "/api/tenants", "{\"name\": \"Mine\"}").status()).isEqualTo(403);
  }

  @Test
  void badInputIsA400NamingTheField() {
    assertField(api.post(ADMIN_TOKEN, "/api/tenants", "{}"), 400, "name");
    assertField(api.post(ADMIN_TOKEN, "/api/tenants", "{\"name\": \"  \"}"), 400, "name");
    assertField(api.post(ADMIN_TOKEN, "/api/tenants", "{\"name\": \"a\", \"aiLanguage\": \"english\"}"), 400, "aiLanguage");
    assertField(api.post(ADMIN_TOKEN, "/api/tenants", "{\"name\": \"a\", \"status\": \"paused\"}"), 400, "status");
    assertField(api.post(ADMIN_TOKEN, "/api/tenants", "{\"name\": \"a\", \"maxConcurrentCalls\": -1}"), 400,
        "maxConcurrentCalls");
    assertField(api.post(ADMIN_TOKEN, "/api/tenants", "{\"name\": \"a\", \"transferNumber\": \"call me\"}"), 400,
        "transferNumber");
    assertField(api.post(ADMIN_TOKEN, "/api/tenants", "{\"name\": \"a\", \"colour\": \"red\"}"), 400, "colour");
    assertField(api.post(ADMIN_TOKEN, "/api/tenants", "{\"name\": \"a\", \"recordingEnabled\": \"yes\"}"), 400,
        "recordingEnabled");
    assertField(api.post(ADMIN_TOKEN, "/api/tenants", "{not json"), 400, "body");
    assertThat(api.post(ADMIN_TOKEN, "/api/tenants", "{\"name\": \"Twice\"}").status()).isEqualTo(201);
    assertField(api.post(ADMIN_TOKEN, "/api/tenants", "{\"name\": \"Twice\"}"), 409, "name");
  }

  private static void assertField(Response r, int status, String field) {
    assertThat(r.status()).as(r.toString()).isEqualTo(status);
    assertThat(r.text("field")).as(r.toString()).isEqualTo(field);
    assertThat(r.text("error")).isNotBlank();
  }

  /** The move off Twilio: the share of outbound calls through Asterisk and the failover switch. */
  @Test
  void theAsteriskShareAndProviderFailoverAreSettableReadableAndChecked() {
    Response created = api.post(ADMIN_TOKEN, "/api/tenants", "{\"name\": \"Migrating\"}");
    long id = created.body().path("tenant").path("id").asLong();
    assertThat(created.body().path("tenant").path("asteriskShare").isNull()).as("follows telephony.provider").isTrue();
    assertThat(created.body().path("tenant").path("providerFailover").asBoolean()).isFalse();

    Response updated = api.put(ADMIN_TOKEN, "/api/tenants/" + id, "{\"asteriskShare\": 10, \"providerFailover\": true}");
    assertThat(updated.status()).as(updated.toString()).isEqualTo(200);
    Response read = api.get(ADMIN_TOKEN, "/api/tenants/" + id);
    assertThat(read.body().path("asteriskShare").asInt()).isEqualTo(10);
    assertThat(read.body().path("providerFailover").asBoolean()).isTrue();
    assertThat(db.dsl().fetchValue(TENANT.ASTERISK_SHARE, TENANT.ID.eq(id))).isEqualTo((short) 10);

    for (String bad : new String[] {"101", "-1", "\"ten\"", "10.5"}) {
      Response refused = api.put(ADMIN_TOKEN, "/api/tenants/" + id, "{\"asteriskShare\": " + bad + "}");
      assertThat(refused.status()).as(bad).isEqualTo(400);
      assertThat(refused.text("field")).isEqualTo("asteriskShare");
      assertThat(refused.text("error")).contains("0 to 100");
    }
    Response notBool = api.put(ADMIN_TOKEN, "/api/tenants/" + id, "{\"providerFailover\": \"yes\"}");
    assertThat(notBool.status()).isEqualTo(400);
    assertThat(notBool.text("field")).isEqualTo("providerFailover");
    assertThat(api.get(ADMIN_TOKEN, "/api/tenants/" + id).body().path("asteriskShare").asInt()).as("unchanged")
        .isEqualTo(10);

    // null: back to following telephony.provider
    assertThat(api.put(ADMIN_TOKEN, "/api/tenants/" + id, "{\"asteriskShare\": null}").status()).isEqualTo(200);
    Response cleared = api.get(ADMIN_TOKEN, "/api/tenants/" + id);
    assertThat(cleared.body().path("asteriskShare").isNull()).isTrue();
    assertThat(cleared.body().path("providerFailover").asBoolean()).isTrue();
    Response withShare = api.post(ADMIN_TOKEN, "/api/tenants", "{\"name\": \"Half\", \"asteriskShare\": 50}");
    assertThat(withShare.body().path("tenant").path("asteriskShare").asInt()).isEqualTo(50);
  }
}
