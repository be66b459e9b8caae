package io.asterline.media;

import io.asterline.agi.AgiConfig;
import io.asterline.agi.Cidr;
import io.asterline.config.ConfigKey;
import io.asterline.config.Settings;
import java.util.ArrayList;
import java.util.List;

/** The address blocks Asterisk may connect to a media transport from, read from its {@code <name>.allow} key. */
public final class AllowList {

  private AllowList() {}

  /**
   * The blocks in {@code key}, or when it is unset those in {@code agi.allow}: the Asterisk servers that ask FastAGI
   * are the ones that dial the agent, so a deployment that lists them there (compose does, with its subnet) needs
   * nothing more. None at all is a startup error saying {@code whyNeeded}.
   */
  public static List<Cidr> from(Settings settings, ConfigKey key, String whyNeeded) {
    List<Cidr> allow = new ArrayList<>();
    ConfigKey source = settings.list(key).isEmpty() ? AgiConfig.ALLOW : key;
    for (String block : settings.list(source)) {
      try {
        allow.add(Cidr.parse(block));
      } catch (IllegalArgumentException e) {
        throw settings.invalid(source, "comma-separated IP address blocks such as 127.0.0.0/8,10.1.2.3 ("
            + e.getMessage() + ")");
      }
    }
    if (allow.isEmpty()) {
      throw settings.invalid(source, whyNeeded);
    }
    return List.copyOf(allow);
  }
}
