package io.asterline.realtime;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** The client events Asterline sends, in the GA shape (protocols.md 4.2-4.6). */
public final class RealtimeMessages {

  /** What a session is set up with. Every VAD field is explicit: GA defaults are not documented. */
  public record Session(
      String model,
      String instructions,
      String voice,
      String language,
      String transcriptionModel,
      double vadThreshold,
      int vadPrefixPaddingMs,
      int vadSilenceMs,
      boolean autoRespond) {}

  private final ObjectMapper json;

  public RealtimeMessages(ObjectMapper json) {
    this.json = json;
  }

  public String sessionUpdate(Session s) {
    ObjectNode session = json.createObjectNode();
    session.put("type", "realtime");
    session.put("model", s.model());
    session.put("instructions", s.instructions() + "\n\nSpeak the language with code '" + s.language()
        + "' unless the caller clearly speaks another. You are on a phone call: keep turns short.");
    session.putArray("output_modalities").add("audio");
    ObjectNode audio = session.putObject("audio");
    ObjectNode input = audio.putObject("input");
    input.putObject("format").put("type", "audio/pcmu");
    input.putObject("noise_reduction").put("type", "near_field");
    ObjectNode transcription = input.putObject("transcription");
    transcription.put("model", s.transcriptionModel());
    transcription.put("language", s.language().substring(0, 2));
    input.set("turn_detection", turnDetection(s));
    ObjectNode output = audio.putObject("output");
    output.putObject("format").put("type", "audio/pcmu");
    output.put("voice", s.voice());
    output.put("speed", 1.0);
    session.set("tools", tools());
    session.put("tool_choice", "auto");
    return event("session.update").set("session", session).toString();
  }

  /** Only the turn detection, e.g. to stop the model answering an answering machine. */
  public String turnDetectionUpdate(Session s) {
    ObjectNode session = json.createObjectNode();
    session.put("type", "realtime");
    session.putObject("audio").putObject("input").set("turn_detection", turnDetection(s));
    return event("session.update").set("session", session).toString();
  }

  private ObjectNode turnDetection(Session s) {
    ObjectNode vad = json.createObjectNode();
    vad.put("type", "server_vad");
    vad.put("threshold", s.vadThreshold());
    vad.put("prefix_padding_ms", s.vadPrefixPaddingMs());
    vad.put("silence_duration_ms", s.vadSilenceMs());
    vad.put("create_response", s.autoRespond());
    vad.put("interrupt_response", s.autoRespond());
    // Asterline runs its own silence timeout (per tenant); the server's idle prompt would talk over it
    vad.putNull("idle_timeout_ms");
    return vad;
  }

  private ArrayNode tools() {
    ArrayNode tools = json.createArrayNode();
    ObjectNode end = tools.addObject();
    end.put("type", "function");
    end.put("name", "end_call");
    end.put("description", "Hang up the phone call. Use it after you have said goodbye, when the caller's "
        + "request is done or the caller wants to end the call.");
    ObjectNode endParams = end.putObject("parameters");
    endParams.put("type", "object");
    endParams.putObject("properties").putObject("reason").put("type", "string")
        .put("description", "why the call ends, in a few words");
    ObjectNode transfer = tools.addObject();
    transfer.put("type", "function");
    transfer.put("name", "transfer_call");
    transfer.put("description", "Transfer the caller to a human colleague. Use it when the caller asks for a "
        + "person or when you cannot help. Tell the caller you are transferring them before you call it.");
    ObjectNode tp = transfer.putObject("parameters");
    tp.put("type", "object");
    ObjectNode props = tp.putObject("properties");
    props.putObject("number").put("type", "string")
        .put("description", "E.164 number to transfer to, only if the instructions name one; "
            + "leave it out for the default human line");
    props.putObject("reason").put("type", "string").put("description", "why the caller is transferred");
    ObjectNode optOut = tools.addObject();
    optOut.put("type", "function");
    optOut.put("name", "opt_out");
    optOut.put("description", "Put the other party's number on the do-not-call list, at once. Use it as soon as "
        + "they ask not to be called again (stop calling, remove me from your list); then confirm it to them.");
    ObjectNode op = optOut.putObject("parameters");
    op.put("type", "object");
    op.putObject("properties").putObject("reason").put("type", "string")
        .put("description", "what they said, in a few words");
    return tools;
  }

  /** A response whose content Asterline dictates (greeting, goodbye, voicemail message). */
  public String responseCreate(String instructions) {
    ObjectNode e = event("response.create");
    if (instructions != null) {
      e.putObject("response").put("instructions", instructions);
    }
    return e.toString();
  }

  public String responseCancel(String responseId) {
    ObjectNode e = event("response.cancel");
    if (responseId != null) {
      e.put("response_id", responseId);
    }
    return e.toString();
  }

  public String truncate(String itemId, long audioEndMs) {
    return event("conversation.item.truncate")
        .put("item_id", itemId)
        .put("content_index", 0)
        .put("audio_end_ms", audioEndMs)
        .toString();
  }

  public String functionOutput(String callId, String output) {
    ObjectNode e = event("conversation.item.create");
    ObjectNode item = e.putObject("item");
    item.put("type", "function_call_output");
    item.put("call_id", callId);
    item.put("output", output);
    return e.toString();
  }

  public String userText(String text) {
    ObjectNode e = event("conversation.item.create");
    ObjectNode item = e.putObject("item");
    item.put("type", "message");
    item.put("role", "user");
    item.putArray("content").addObject().put("type", "input_text").put("text", text);
    return e.toString();
  }

  private ObjectNode event(String type) {
    ObjectNode e = json.createObjectNode();
    e.put("type", type);
    return e;
  }
}
