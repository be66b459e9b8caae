package io.asterline.audiosocket;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.asterline.degraded.DegradedMode;
import io.asterline.feature.MediaFeature;
import io.asterline.http.HealthCheck;
import io.asterline.realtime.OpenAiConfig;
import io.asterline.tenant.TenantApiKeys;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;
import org.jooq.DSLContext;

/**
 * The AudioSocket media feature started: the server Asterisk's {@code AudioSocket()} connects agent legs to, its
 * address as the dialplan dials it, and its parts of {@code /health} (the server, critical; the Realtime API as
 * its calls last saw it, not critical).
 */
public final class AudioSocket implements MediaFeature {

  private final AudioSocketServer server;
  private final String dialAddress;

  private AudioSocket(AudioSocketServer server, String dialAddress) {
    this.server = server;
    this.dialAddress = dialAddress;
  }

  public static AudioSocket start(AudioSocketConfig config, OpenAiConfig openai, DSLContext dsl,
      TenantApiKeys apiKeys, ObjectMapper json, MeterRegistry metrics, DegradedMode degraded) {
    AudioSocketServer server = AudioSocketServer.start(config, openai, dsl, apiKeys, json, metrics, degraded);
    return new AudioSocket(server, config.dialAddress(server.port()));
  }

  public int port() {
    return server.port();
  }

  @Override
  public String dialAddress() {
    return dialAddress;
  }

  @Override
  public int activeCalls() {
    return server.activeCalls();
  }

  @Override
  public String name() {
    return "audiosocket";
  }

  @Override
  public List<HealthCheck> healthChecks() {
    return List.of(server.health(), server.realtimeHealth());
  }

  /** Calls still connected end through their fallback. */
  @Override
  public void close() {
    server.close();
  }
}
