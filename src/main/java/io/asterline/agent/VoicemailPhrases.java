package io.asterline.agent;

import java.text.Normalizer;
import java.util.List;
import java.util.Locale;

/** What answering machines say, in the languages tenants use; matched against the caller-side transcript. */
final class VoicemailPhrases {

  private static final List<String> PHRASES = List.of(
      // en
      "leave a message", "leave your message", "leave me a message", "after the tone", "after the beep",
      "at the tone", "not available", "unavailable to take your call", "can't take your call",
      "cannot take your call", "voicemail", "voice mail", "mailbox", "record your message",
      // de
      "nach dem signalton", "nach dem ton", "nachricht hinterlassen", "nicht erreichbar", "anrufbeantworter",
      "mailbox",
      // fr
      "laissez un message", "laissez votre message", "apres le bip", "apres le signal sonore", "messagerie",
      "repondeur",
      // es
      "deje su mensaje", "deje un mensaje", "despues del tono", "buzon de voz", "no esta disponible",
      // it, pt, nl
      "lasciate un messaggio", "lasci un messaggio", "dopo il segnale", "segreteria", "deixe sua mensagem",
      "deixe a sua mensagem", "apos o sinal", "caixa postal", "spreek een bericht in", "na de piep",
      "voicemail");

  private VoicemailPhrases() {}

  /** The phrase found in {@code transcript}, or null. */
  static String find(String transcript) {
    if (transcript == null) {
      return null;
    }
    String t = Normalizer.normalize(transcript.toLowerCase(Locale.ROOT), Normalizer.Form.NFD)
        .replaceAll("\\p{M}+", "")
        .replace('\u2019', '\'')
        .replaceAll("[^a-z' ]+", " ")
        .replaceAll(" +", " ");
    for (String p : PHRASES) {
      if (t.contains(p)) {
        return p;
      }
    }
    return null;
  }
}
