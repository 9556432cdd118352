import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config';

const load = (env: Record<string, string>) => loadConfig({ ...env } as NodeJS.ProcessEnv);

describe('configuration', () => {
  it('should start on loopback with the embedded service, the local provider and the Playground by default', () => {
    const config = load({});
    expect(config.bot).toMatchObject({ port: 3978, host: '127.0.0.1', allowedTenantIds: [] });
    expect(config.bot.appId).toBeUndefined();
    expect(config.service).toMatchObject({ port: 3979, host: '127.0.0.1', provider: 'local', demoData: true });
    expect(config).toMatchObject({ embedService: true, serviceUrl: 'http://127.0.0.1:3979', storage: 'file' });
    expect(config.playground.enabled).toBe(true);
  });

  it('should turn authentication on, listen on all interfaces and leave the Playground off with an app id', () => {
    const config = load({ MicrosoftAppId: 'app', MicrosoftAppPassword: 'secret' });
    expect(config.bot.host).toBe('0.0.0.0');
    expect(config.playground.enabled).toBe(false);
    expect(config.bot.allowedServiceUrlHosts).not.toContain('localhost');
  });

  it('should use a shared runtime service when RUNTIME_SERVICE_URL is set', () => {
    const config = load({ RUNTIME_SERVICE_URL: 'https://runtimes.example.com/', RUNTIME_SERVICE_TOKEN: 't' });
    expect(config).toMatchObject({ embedService: false, serviceUrl: 'https://runtimes.example.com' });
    expect(config.service.token).toBe('t');
  });

  it.each([
    [{ HOST: '0.0.0.0' }, /without MicrosoftAppId would accept unauthenticated requests/],
    [{ RUNTIME_SERVICE_HOST: '0.0.0.0' }, /without RUNTIME_SERVICE_TOKEN/],
    [{ MicrosoftAppId: 'app' }, /MicrosoftAppPassword is required/],
    [
      { MicrosoftAppId: 'app', MicrosoftAppPassword: 'x', MicrosoftAppType: 'SingleTenant' },
      /MicrosoftAppTenantId is required/,
    ],
    [{ PORT: 'eighty' }, /PORT must be a whole number/],
    [{ RUNTIME_PROVIDER: 'aws' }, /RUNTIME_PROVIDER must be one of local, azureml/],
    [{ DEMO_DATA: 'maybe' }, /DEMO_DATA must be true or false/],
    [{ RUNTIME_SERVICE_URL: 'ftp://x' }, /RUNTIME_SERVICE_URL must be an http\(s\) URL/],
    [{ LOCAL_DURATION_SCALE: '-1' }, /LOCAL_DURATION_SCALE must be a number/],
  ])('should refuse %j with a specific message', (env, message) => {
    expect(() => load(env)).toThrow(message);
  });

  it('should list every problem at once', () => {
    try {
      load({ PORT: 'x', DEMO_DATA: 'maybe', RUNTIME_PROVIDER: 'aws' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).problems).toHaveLength(3);
    }
  });

  it('should accept tenant allow-lists and service URL hosts as comma-separated lists', () => {
    const config = load({ ALLOWED_TENANT_IDS: 't1, t2', ALLOWED_SERVICE_URL_HOSTS: 'smba.trafficmanager.net' });
    expect(config.bot.allowedTenantIds).toEqual(['t1', 't2']);
    expect(config.bot.allowedServiceUrlHosts).toEqual(['smba.trafficmanager.net']);
  });
});
