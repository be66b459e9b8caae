package io.asterline.audiosocket;

import io.asterline.agent.Agents;
import io.asterline.media.MediaServer;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.ChannelOption;
import io.netty.channel.WriteBufferWaterMark;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The AudioSocket server Asterisk dials ({@code Dial(AudioSocket/host:port/<call id>/c(slin))}). Each connection
 * is one call's agent leg, handed to the agent ({@link Agents}). The shared {@link MediaServer} shell runs it: its
 * allow-list is {@code audiosocket.allow}, and stopping it ends every call in progress through its tenant's fallback,
 * so nobody is left in silence by a restart.
 */
public final class AudioSocketServer {

  private static final Logger log = LoggerFactory.getLogger(AudioSocketServer.class);
  private static final int FRAME_BYTES = 3 + CallHandler.FRAME_SAMPLES * 2;

  private AudioSocketServer() {}

  /** Binds and starts serving; the caller registers the result with the lifecycle, after {@code agents}. */
  public static MediaServer start(AudioSocketConfig config, Agents agents, MeterRegistry registry) {
    PacingMetrics pacing = new PacingMetrics(registry);
    return MediaServer.start(
        new MediaServer.Listen("audiosocket", config.bind(), config.port(), config.ioThreads(), config.allow()), log,
        "AudioSocket server is not listening",
        // isWritable() turns false past three frames: the pacer never queues more than ~60 ms ahead
        b -> b.childOption(ChannelOption.WRITE_BUFFER_WATER_MARK,
            new WriteBufferWaterMark(2 * FRAME_BYTES, 3 * FRAME_BYTES)),
        ch -> ch.pipeline()
            .addLast("decoder", new AudioSocketFrameDecoder())
            .addLast("encoder", AudioSocketFrameEncoder.INSTANCE)
            .addLast("call", new CallHandler(agents, pacing, config.lateFrameLimit().toNanos())));
  }
}
