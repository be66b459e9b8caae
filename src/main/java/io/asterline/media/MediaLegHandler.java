package io.asterline.media;

import io.asterline.agent.AgentLeg;
import io.asterline.agent.MediaLeg;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderException;
import java.io.IOException;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.MDC;

/**
 * What every transport's call handler does alike: the call id in the log context, the end of the connection (stop
 * the leg's timers, tell the agent, drop the audio not played), a failure logged once by kind before the transport
 * closes its way, and the service's stop ending the call through its fallback ({@link MediaServer#close()}).
 */
public abstract class MediaLegHandler extends ChannelInboundHandlerAdapter implements MediaLeg {

  /** How a transport words its failures: invalid input ({@code {}} remote address, {@code {}} reason), I/O, a bug. */
  public record FailureLines(String invalidInput, String connectionError, String handlerFailed) {}

  private final Logger log;
  private final FailureLines lines;
  /** The agent's side of this leg, once the connection is there. */
  protected AgentLeg agent;
  private String callIdText;
  private boolean failed;

  protected MediaLegHandler(Logger log, FailureLines lines) {
    this.log = log;
    this.lines = lines;
  }

  /** From now on every line this handler logs carries {@code id}. */
  protected final void callIdIs(UUID id) {
    callIdText = id.toString();
  }

  /** Whether the connection failed: what is still in flight is not acted on. */
  protected final boolean failed() {
    return failed;
  }

  /** Puts the call id, once known, in the log context; callers remove it in a finally. */
  protected final void mdc() {
    if (callIdText != null) {
      MDC.put("callId", callIdText);
    }
  }

  /** Cancels what this leg scheduled: its clock and the wait for its first message. */
  protected abstract void stopTimers();

  /** Releases the agent's audio not yet played. */
  protected abstract void dropAudio();

  /** Stops the leg's clock and closes the connection after a failure (already logged). */
  protected abstract void closeAfterFailure(ChannelHandlerContext ctx);

  /** The leg breaks on this side (bad input from Asterisk, a bug here), not because the caller hung up. */
  private void mediaFailed() {
    if (agent != null) {
      agent.mediaFailed();
    }
  }

  /** The service stops: ends the call through the fallback rather than dropping it. */
  final void shutdown() {
    if (agent != null) {
      agent.shutdown();
    }
  }

  @Override
  public final void channelInactive(ChannelHandlerContext ctx) {
    mdc();
    try {
      stopTimers();
      if (agent != null) {
        agent.closed();
      }
      dropAudio();
    } finally {
      MDC.remove("callId");
    }
    ctx.fireChannelInactive();
  }

  @Override
  public final void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    mdc();
    try {
      if (failed) {
        return;
      }
      failed = true;
      Throwable c = cause instanceof DecoderException && cause.getCause() != null ? cause.getCause() : cause;
      if (cause instanceof DecoderException) {
        log.warn(lines.invalidInput(), ctx.channel().remoteAddress(), c.getMessage());
        mediaFailed();
      } else if (c instanceof IOException) {
        // a broken pipe or reset is how a caller's hangup often looks from here: worth a line, not an alarm
        log.info(lines.connectionError(), c.getMessage());
      } else {
        log.error(lines.handlerFailed(), c);
        mediaFailed();
      }
      closeAfterFailure(ctx);
    } finally {
      MDC.remove("callId");
    }
  }
}
