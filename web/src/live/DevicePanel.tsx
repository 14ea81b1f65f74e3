import { useState } from 'preact/hooks';
import { useI18n } from '../i18n.js';
import { Notice, SelectField, VideoView } from '../ui.js';
import { type Devices, playTestTone, useLevel } from './devices.js';

export function LevelMeter(props: { track: MediaStreamTrack | undefined; label?: string }) {
  const { t } = useI18n();
  const level = useLevel(props.track);
  const pct = Math.round(level * 100);
  return (
    <div>
      <div class="muted" id="mic-level-label">
        {props.label ?? t('micLevel')}
      </div>
      {/* biome-ignore lint/a11y/useSemanticElements: a styled bar updated 12×/s; role meter says the same. */}
      <div
        class="meter"
        role="meter"
        aria-labelledby="mic-level-label"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={pct}
        data-testid="mic-level"
      >
        <div style={{ width: `${pct}%` }} />
      </div>
    </div>
  );
}

/** Device choice with a preview, a level meter and a speaker test. */
export function DevicePanel(props: { devices: Devices; speakers?: boolean; title?: string }) {
  const { t } = useI18n();
  const d = props.devices;
  const [testing, setTesting] = useState(false);
  const options = (list: MediaDeviceInfo[], fallback: string) => [
    { value: '', label: t('defaultDevice') },
    ...list
      .filter((x) => x.deviceId && x.deviceId !== 'default')
      .map((x, i) => ({ value: x.deviceId, label: x.label || `${fallback} ${i + 1}` })),
  ];
  const errorText = d.error
    ? d.error.kind === 'denied'
      ? t('devicesDenied')
      : d.error.kind === 'notFound'
        ? t('devicesNotFound')
        : d.error.kind === 'busy'
          ? t('devicesBusy')
          : t('devicesFailed', { message: d.error.message })
    : '';
  return (
    <section class="card" aria-labelledby="h-devices" data-testid="devices">
      <h2 id="h-devices">{props.title ?? t('devicesTitle')}</h2>
      {d.error ? (
        <div class="notice error" role="alert">
          <strong>{errorText}</strong>
          <div class="notice-actions">
            <button type="button" onClick={() => void d.start()}>
              {t('retry')}
            </button>
          </div>
        </div>
      ) : null}
      <div class="grid-2">
        <div>
          <VideoView
            track={d.video}
            mirror
            placeholder={d.starting ? t('startingDevices') : t('preview')}
            aria-label={t('preview')}
          />
          {!d.stream && !d.error ? (
            <button
              type="button"
              class="primary big"
              style={{ width: '100%', marginTop: '8px' }}
              disabled={d.starting}
              onClick={() => void d.start()}
              data-testid="start-devices"
            >
              {d.starting ? t('startingDevices') : t('startDevices')}
            </button>
          ) : null}
        </div>
        <div>
          <SelectField
            id="dev-camera"
            label={t('camera')}
            value={d.choice.cameraId}
            options={options(d.cameras, t('camera'))}
            onChange={(v) => d.choose({ cameraId: v })}
          />
          <SelectField
            id="dev-mic"
            label={t('microphone')}
            value={d.choice.microphoneId}
            options={options(d.microphones, t('microphone'))}
            onChange={(v) => d.choose({ microphoneId: v })}
          />
          <LevelMeter track={d.audio} />
          {props.speakers !== false ? (
            <div style={{ marginTop: '14px' }}>
              {d.canPickSpeakers ? (
                <SelectField
                  id="dev-speakers"
                  label={t('speakers')}
                  value={d.choice.speakerId}
                  options={options(d.speakers, t('speakers'))}
                  onChange={(v) => d.choose({ speakerId: v })}
                />
              ) : (
                <Notice kind="info">{t('speakersNotSelectable')}</Notice>
              )}
              <button
                type="button"
                disabled={testing}
                onClick={async () => {
                  setTesting(true);
                  await playTestTone(d.choice.speakerId).catch(() => {});
                  setTesting(false);
                }}
              >
                🔊 {t('testSpeakers')}
              </button>
            </div>
          ) : null}
        </div>
      </div>
    </section>
  );
}
