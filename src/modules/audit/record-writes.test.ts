import { describe, expect, it } from 'vitest';
import { actionName, itemOf } from './record-writes.js';

describe('actionName', () => {
  it.each([
    ['PUT', '/v1/management/sms-providers', 'sms-providers.update'],
    ['POST', '/v1/management/sms-providers/test', 'sms-providers.test'],
    ['POST', '/v1/management/authenticator-configurations/sms', 'authenticator-configurations.sms.create'],
    ['PATCH', '/v1/management/action_configurations/:actionCode', 'action-configurations.update'],
    ['POST', '/v1/management/action-configurations/:actionCode/rules', 'action-configurations.rules.create'],
    ['DELETE', '/v1/management/action-configurations/:actionCode/rules/:ruleId', 'action-configurations.rules.delete'],
    ['POST', '/v1/management/api-keys/:keyId/rotate', 'api-keys.rotate'],
    ['POST', '/v1/management/signing-keys/:keyId/retire', 'signing-keys.retire'],
    ['DELETE', '/v1/management/members/:accountId', 'members.delete'],
  ])('%s %s is %s', (method, route, action) => {
    expect(actionName(method, route)).toBe(action);
  });
});

describe('itemOf', () => {
  const templates = {
    appName: 'Acme',
    templates: [
      { locale: 'en', text: 'a' },
      { locale: 'fr', text: 'b' },
    ],
  };
  it('picks the item a path names out of a list, or out of a list member', () => {
    expect(itemOf(templates, { name: 'locale', value: 'fr' })).toEqual({ locale: 'fr', text: 'b' });
    expect(itemOf([{ keyId: 'k1' }, { keyId: 'k2' }], { name: 'keyId', value: 'k2' })).toEqual({ keyId: 'k2' });
  });
  it('is null when the list has no such item, and the whole answer when it has no such list', () => {
    expect(itemOf(templates, { name: 'locale', value: 'de' })).toBeNull();
    expect(itemOf({ appName: 'Acme' }, { name: 'locale', value: 'de' })).toEqual({ appName: 'Acme' });
  });
});
