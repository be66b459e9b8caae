package io.asterline.media;

import io.asterline.feature.MediaFeature;
import io.asterline.http.HealthCheck;
import java.util.List;

/**
 * A media transport started: its {@link MediaServer}, the calls connected through it, its part of {@code /health}
 * (critical), how the dialplan reaches it, and its stop, which ends the calls still connected through their fallback.
 */
public abstract class MediaTransport implements MediaFeature {

  private final MediaServer server;
  private final String dialAddress;

  protected MediaTransport(MediaServer server, String dialAddress) {
    this.server = server;
    this.dialAddress = dialAddress;
  }

  @Override
  public final String dialAddress() {
    return dialAddress;
  }

  public final int port() {
    return server.port();
  }

  @Override
  public final int activeCalls() {
    return server.activeCalls();
  }

  @Override
  public final String name() {
    return server.name();
  }

  @Override
  public final List<HealthCheck> healthChecks() {
    return List.of(server.health());
  }

  /** Calls still connected end through their fallback. */
  @Override
  public final void close() {
    server.close();
  }
}
