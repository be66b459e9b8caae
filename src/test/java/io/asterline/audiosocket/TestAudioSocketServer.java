package io.asterline.audiosocket;

import io.asterline.config.Json;
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

/** The AudioSocket server as the tests start it: any free port, one event loop, a Realtime fake, its own journal. */
final class TestAudioSocketServer {

  private TestAudioSocketServer() {}

  static AudioSocketServer start(TestDatabase.Db db, String realtimeUrl, Map<String, String> overrides) {
    Map<String, String> o = new HashMap<>(Map.of("openai.api-key", "sk-test-123", "realtime.url", realtimeUrl,
        "audiosocket.port", "0", "audiosocket.io-threads", "1"));
    o.putAll(overrides);
    Settings settings = Settings.of(Map.of(), Map.of(), o);
    return AudioSocketServer.start(AudioSocketConfig.from(settings), OpenAiConfig.from(settings), db.dsl(),
        new TenantApiKeys(db.dsl(), new SecretBox(SecretsConfig.from(settings))), Json.mapper(),
        new SimpleMeterRegistry(), TestDegradedMode.open());
  }
}
