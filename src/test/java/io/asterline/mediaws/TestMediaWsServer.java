package io.asterline.mediaws;

import io.asterline.agent.Agents;
import io.asterline.app.Json;
import io.asterline.config.Settings;
import io.asterline.db.TestDatabase;
import io.asterline.degraded.TestDegradedMode;
import io.asterline.realtime.OpenAiConfig;
import io.asterline.secrets.SecretBox;
import io.asterline.secrets.SecretsConfig;
import io.asterline.tenant.TenantApiKeys;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.HashMap;
import java.util.Map;

/** The media WebSocket server as the tests start it: any free port, one event loop, a Realtime fake, its own agents. */
final class TestMediaWsServer implements AutoCloseable {

  static final String SECRETS_KEY = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

  final Agents agents;
  final MediaWsServer server;

  private TestMediaWsServer(Agents agents, MediaWsServer server) {
    this.agents = agents;
    this.server = server;
  }

  static TestMediaWsServer start(TestDatabase.Db db, String realtimeUrl, Map<String, String> overrides) {
    Map<String, String> o = new HashMap<>(Map.of("openai.api-key", "sk-test-123", "realtime.url", realtimeUrl,
        "mediaws.port", "0", "mediaws.io-threads", "1", "secrets.key", SECRETS_KEY));
    o.putAll(overrides);
    Settings settings = Settings.of(Map.of(), Map.of(), o);
    Agents agents = Agents.start(OpenAiConfig.from(settings), db.dsl(),
        new TenantApiKeys(db.dsl(), new SecretBox(SecretsConfig.from(settings))), Json.mapper(),
        new SimpleMeterRegistry(), TestDegradedMode.open());
    return new TestMediaWsServer(agents, MediaWsServer.start(MediaWsConfig.from(settings), agents, Json.mapper()));
  }

  int port() {
    return server.port();
  }

  @Override
  public void close() {
    server.close();
    agents.close();
  }
}
