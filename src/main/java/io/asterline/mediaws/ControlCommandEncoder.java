package io.asterline.mediaws;

import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToMessageEncoder;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import java.util.List;

/** {@link ControlCommand}s into text frames, in the format Asterisk spoke first ({@link ControlEventDecoder#JSON}). */
@Sharable
public final class ControlCommandEncoder extends MessageToMessageEncoder<ControlCommand> {

  public static final ControlCommandEncoder INSTANCE = new ControlCommandEncoder();

  private ControlCommandEncoder() {
    super(ControlCommand.class);
  }

  @Override
  protected void encode(ChannelHandlerContext ctx, ControlCommand command, List<Object> out) {
    out.add(new TextWebSocketFrame(text(command, Boolean.TRUE.equals(ctx.channel().attr(ControlEventDecoder.JSON).get()))));
  }

  /** The text chan_websocket's handle_command expects (its ids are ours: checked to need no escaping). */
  static String text(ControlCommand command, boolean json) {
    String id = command.correlationId();
    if (json) {
      return "{\"command\":\"" + command.kind() + "\"" + (id == null ? "" : ",\"correlation_id\":\"" + id + "\"") + "}";
    }
    return id == null ? command.kind().toString() : command.kind() + " " + id;
  }
}
