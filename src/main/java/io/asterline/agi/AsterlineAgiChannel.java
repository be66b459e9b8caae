package io.asterline.agi;

import org.asteriskjava.fastagi.AgiException;
import org.asteriskjava.fastagi.AgiReader;
import org.asteriskjava.fastagi.AgiRequest;
import org.asteriskjava.fastagi.AgiWriter;
import org.asteriskjava.fastagi.internal.AgiChannelImpl;

/**
 * asterisk-java's channel, with one round trip less per request. After every script the library sets its own
 * status variable, {@code AJ_AGISTATUS}, with a SET VARIABLE of its own: a second round trip after ours, while
 * Asterisk and the caller wait. Our scripts put {@code AJ_AGISTATUS=SUCCESS} (the value the library sets after a
 * script that returned) into their answer's single MSet instead, and this channel then skips the library's
 * identical SET VARIABLE. The channel ends in the same state either way.
 */
final class AsterlineAgiChannel extends AgiChannelImpl {

  static final String LIBRARY_STATUS = "AJ_AGISTATUS";
  static final String LIBRARY_SUCCESS = "SUCCESS";

  private String libraryStatusSet;

  AsterlineAgiChannel(AgiRequest request, AgiWriter writer, AgiReader reader) {
    super(request, writer, reader);
  }

  /** The answer's MSet carried AJ_AGISTATUS with this value. */
  void libraryStatusSet(String value) {
    libraryStatusSet = value;
  }

  @Override
  public void setVariable(String name, String value) throws AgiException {
    if (LIBRARY_STATUS.equals(name) && value != null && value.equals(libraryStatusSet)) {
      return;
    }
    super.setVariable(name, value);
  }
}
