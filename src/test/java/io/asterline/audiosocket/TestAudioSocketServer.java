package io.asterline.audiosocket;

import io.asterline.agent.Agents;
import io.asterline.app.Json;
import io.asterline.config.Settings;
import io.asterline.db.TestDatabase;
import io.asterline.degraded.TestDegradedMode;
import io.asterline.http.HealthCheck;
import io.asterline.realtime.OpenAiConfig;
import io.asterline.secrets.SecretBox;
import io.asterline.secrets.SecretsConfig;
import io.asterline.tenant.TenantApiKeys;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.HashMap;
import java.util.Map;

/**
 * The AudioSocket server as the tests start it: any free port, one event loop, a Realtime fake, its own journal,
 * and its own agents, stopped after the server as the service's lifecycle does.
 */
public final class TestAudioSocketServer implements AutoCloseable {

  private final Agents agents;
  private final AudioSocketServer server;

  private TestAudioSocketServer(Agents agents, AudioSocketServer server) {
    this.agents = agents;
    this.server = server;
  }

  public static TestAudioSocketServer start(TestDatabase.Db db, String realtimeUrl, Map<String, String> overrides) {
    Map<String, String> o = new HashMap<>(Map.of("openai.api-key", "sk-test-123", "realtime.url", realtimeUrl,
        "audiosocket.port", "0", "audiosocket.io-threads", "1"));
    o.putAll(overrides);
    Settings settings = Settings.of(Map.of(), Map.of(), o);
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    Agents agents = Agents.start(OpenAiConfig.from(settings), db.dsl(),
        new TenantApiKeys(db.dsl(), new SecretBox(SecretsConfig.from(settings))), Json.mapper(), registry,
        TestDegradedMode.open());
    return new TestAudioSocketServer(agents, AudioSocketServer.start(AudioSocketConfig.from(settings), agents, registry));
  }

  public int port() {
    return server.port();
  }

  public long refusedConnections() {
    return server.refusedConnections();
  }

  public HealthCheck realtimeHealth() {
    return agents.realtimeHealth();
  }

  @Override
  public void close() {
    server.close();
    agents.close();
  }
}
