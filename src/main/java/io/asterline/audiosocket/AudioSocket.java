package io.asterline.audiosocket;

import io.asterline.agent.Agents;
import io.asterline.media.MediaServer;
import io.asterline.media.MediaTransport;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * The AudioSocket media feature started: the server Asterisk's {@code AudioSocket()} connects agent legs to, its
 * address as the dialplan dials it ({@link AudioSocketConfig#dialAddress(int)}), and its part of {@code /health}
 * (critical).
 */
public final class AudioSocket extends MediaTransport {

  private AudioSocket(MediaServer server, AudioSocketConfig config) {
    super(server, config.dialAddress(server.port()));
  }

  public static AudioSocket start(AudioSocketConfig config, Agents agents, MeterRegistry metrics) {
    return new AudioSocket(AudioSocketServer.start(config, agents, metrics), config);
  }
}
