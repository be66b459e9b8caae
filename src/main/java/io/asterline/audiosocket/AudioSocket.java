package io.asterline.audiosocket;

import io.asterline.agent.Agents;
import io.asterline.feature.MediaFeature;
import io.asterline.http.HealthCheck;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;

/**
 * The AudioSocket media feature started: the server Asterisk's {@code AudioSocket()} connects agent legs to, its
 * address as the dialplan dials it, and its part of {@code /health} (critical).
 */
public final class AudioSocket implements MediaFeature {

  private final AudioSocketServer server;
  private final String dialAddress;

  private AudioSocket(AudioSocketServer server, String dialAddress) {
    this.server = server;
    this.dialAddress = dialAddress;
  }

  public static AudioSocket start(AudioSocketConfig config, Agents agents, MeterRegistry metrics) {
    AudioSocketServer server = AudioSocketServer.start(config, agents, metrics);
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
    return List.of(server.health());
  }

  /** Calls still connected end through their fallback. */
  @Override
  public void close() {
    server.close();
  }
}
