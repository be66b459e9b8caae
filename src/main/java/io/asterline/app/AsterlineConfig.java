package io.asterline.app;

import io.asterline.admission.AdmissionConfig;
import io.asterline.agi.AgiConfig;
import io.asterline.audiosocket.AudioSocketConfig;
import io.asterline.mediaws.MediaWsConfig;
import io.asterline.config.ConfigKey;
import io.asterline.cost.CostConfig;
import io.asterline.twilio.TwilioConfig;
import io.asterline.config.Settings;
import io.asterline.db.DatabaseConfig;
import io.asterline.did.DidConfig;
import io.asterline.http.HttpConfig;
import io.asterline.outbound.AmiConfig;
import io.asterline.outbound.OutboundConfig;
import io.asterline.realtime.OpenAiConfig;
import io.asterline.recording.RecordingConfig;
import io.asterline.recording.StorageConfig;
import io.asterline.report.ReportConfig;
import io.asterline.secrets.SecretsConfig;
import io.asterline.tenant.TenantConfig;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The whole typed configuration, one record per feature. Every value is read and checked here, at start,
 * so a bad value stops the service with a message naming the key instead of failing mid-call.
 */
public record AsterlineConfig(
    DatabaseConfig database,
    HttpConfig http,
    TenantConfig tenants,
    OpenAiConfig openai,
    StorageConfig storage,
    RecordingConfig recordings,
    ReportConfig reports,
    AmiConfig ami,
    OutboundConfig outbound,
    AgiConfig agi,
    AdmissionConfig admission,
    DidConfig dids,
    AudioSocketConfig audioSocket,
    MediaWsConfig mediaWs,
    ShutdownConfig shutdown,
    SecretsConfig secrets,
    CostConfig costs,
    TwilioConfig twilio) {

  private static final Logger log = LoggerFactory.getLogger(AsterlineConfig.class);

  /** Every key any feature reads, for {@code asterline config} and the README. */
  public static List<ConfigKey> keys() {
    List<ConfigKey> keys = new ArrayList<>();
    keys.addAll(DatabaseConfig.KEYS);
    keys.addAll(HttpConfig.KEYS);
    keys.addAll(TenantConfig.KEYS);
    keys.addAll(OpenAiConfig.KEYS);
    keys.addAll(StorageConfig.KEYS);
    keys.addAll(RecordingConfig.KEYS);
    keys.addAll(ReportConfig.KEYS);
    keys.addAll(AmiConfig.KEYS);
    keys.addAll(OutboundConfig.KEYS);
    keys.addAll(AgiConfig.KEYS);
    keys.addAll(AdmissionConfig.KEYS);
    keys.addAll(DidConfig.KEYS);
    keys.addAll(AudioSocketConfig.KEYS);
    keys.addAll(MediaWsConfig.KEYS);
    keys.addAll(ShutdownConfig.KEYS);
    keys.addAll(SecretsConfig.KEYS);
    keys.addAll(CostConfig.KEYS);
    keys.addAll(TwilioConfig.KEYS);
    return keys;
  }

  public static AsterlineConfig from(Settings settings) {
    settings.renamedKeysNotice(keys()).ifPresent(log::warn);
    DidConfig dids = DidConfig.from(settings);
    return new AsterlineConfig(
        DatabaseConfig.from(settings),
        HttpConfig.from(settings),
        TenantConfig.from(settings),
        OpenAiConfig.from(settings),
        StorageConfig.from(settings),
        RecordingConfig.from(settings),
        ReportConfig.from(settings),
        AmiConfig.from(settings),
        OutboundConfig.from(settings),
        AgiConfig.from(settings),
        AdmissionConfig.from(settings),
        dids,
        AudioSocketConfig.from(settings),
        MediaWsConfig.from(settings),
        ShutdownConfig.from(settings),
        SecretsConfig.from(settings),
        CostConfig.from(settings),
        TwilioConfig.from(settings, dids.twilio()));
  }
}
