package io.asterline.twiliomedia;

import io.asterline.agent.Agents;
import io.asterline.config.Json;
import io.asterline.config.Settings;
import io.asterline.db.TestDatabase;
import io.asterline.degraded.TestDegradedMode;
import io.asterline.did.DidConfig;
import io.asterline.realtime.OpenAiConfig;
import io.asterline.secrets.SecretBox;
import io.asterline.secrets.SecretsConfig;
import io.asterline.tenant.TenantApiKeys;
import io.asterline.twilio.StreamControl;
import io.asterline.twilio.TwilioConfig;
import io.asterline.twilio.TwilioStandIn;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * The Media Streams server as the tests (and the bench) start it: any free port, a Realtime stand-in, its own
 * agents, the stand-in Twilio account, and the call control the test gives it.
 */
public final class TestTwilioMedia implements AutoCloseable {

  static final String SECRETS_KEY = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
  public static final String STREAM_URL = "wss://asterline.example.com/twilio/stream";

  public final Agents agents;
  public final TwilioMedia media;
  public final TwilioConfig config;

  private TestTwilioMedia(Agents agents, TwilioMedia media, TwilioConfig config) {
    this.agents = agents;
    this.media = media;
    this.config = config;
  }

  public static TestTwilioMedia start(TestDatabase.Db db, String realtimeUrl, Path recordingsDir,
      StreamControl control, int ioThreads) {
    Map<String, String> o = new HashMap<>(Map.of("openai.api-key", "sk-test-123", "realtime.url", realtimeUrl,
        "secrets.key", SECRETS_KEY, "twilio.account-sid", TwilioStandIn.ACCOUNT_SID,
        "twilio.auth-token", TwilioStandIn.AUTH_TOKEN, "twilio.webhook-base-url", "https://asterline.example.com",
        "twilio.media.port", "0", "twilio.media.bind", "127.0.0.1"));
    // these tests are not about a slow Realtime API: a loaded test machine must not send their calls to the fallback
    o.put("realtime.connect-timeout", "6s");
    Settings settings = Settings.of(Map.of(), Map.of(), o);
    Agents agents = Agents.start(OpenAiConfig.from(settings), db.dsl(),
        new TenantApiKeys(db.dsl(), new SecretBox(SecretsConfig.from(settings))), Json.mapper(),
        new SimpleMeterRegistry(), TestDegradedMode.open());
    TwilioConfig config = TwilioConfig.from(settings, DidConfig.from(settings).twilio());
    return new TestTwilioMedia(agents,
        TwilioMedia.start(config, ioThreads, agents, db.dsl(), recordingsDir, control, Json.mapper()), config);
  }

  public int port() {
    return media.port();
  }

  @Override
  public void close() {
    media.close();
    agents.close();
  }
}
