import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RULE_VARIABLES } from '../../src/modules/actions/variables.js';
import { databases } from '../helpers/databases.js';
import { type ManagementClient, management } from '../helpers/management.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

interface Validation {
  valid: boolean;
  errors: { path: string; message: string }[];
}

/** A name of each catalogue entry that a rule may read: a family's parameter filled in. */
const instance = (name: string) => name.replace('<N>', '15').replace('<name>', 'amount');

/** Conditions that the rule routes refuse, each for its own reason. */
const BAD: [string, unknown][] = [
  ['an unknown variable', { '==': [{ var: 'ip.isAnonymous' }, true] }],
  ['an unknown operator', { frobnicate: [1] }],
  ['an unknown operator inside "and"', { and: [{ '==': [1, 1] }, { frobnicate: [1] }] }],
  ['an operator from Object.prototype', { constructor: [1] }],
  ['a string instead of an object', 'device.isNew == true'],
  ['an array instead of an object', [{ '==': [1, 1] }]],
  ['a var that names nothing', { '==': [{ var: '' }, 1] }],
  ['a var that is not a string', { '==': [{ var: 7 }, 1] }],
  ['a velocity window over a week', { '>': [{ var: 'velocity.sameActionLast10081Minutes' }, 1] }],
];

/** The rule variable catalogue and the dry validation of conditions, against what the rule routes accept. */
describe.each(databases)('rule variables and validation ($name)', (db) => {
  let t: TestServer;
  let m: ManagementClient;
  let call: ManagementClient['request'];
  beforeAll(async () => {
    t = await startTestServer(db);
    m = management(t.apiUrl, t.tenant.managementSecretKey);
    call = management(t.apiUrl, t.tenant.managementSecretKey, '').request;
    await m.createConfig('catalogue');
  });
  afterAll(async () => {
    await t?.close();
  });

  it('serves the catalogue the rules are validated with, each entry typed, described and with an example', async () => {
    const res = await call<typeof RULE_VARIABLES>('GET', '/rule-variables');
    expect(res.status).toBe(200);
    expect(res.body).toEqual(RULE_VARIABLES);
    const docs = readFileSync(new URL('../../docs/rules.md', import.meta.url), 'utf8');
    for (const v of res.body) {
      expect(['string', 'number', 'boolean', 'string[]']).toContain(v.type);
      expect(v.description.length).toBeGreaterThan(5);
      expect(v.example).toBeDefined();
      expect(docs, v.name).toContain(`\`${v.name}\``);
    }
    expect(res.body.map((v) => v.name)).toContain('velocity.sameActionLast<N>Minutes');
  });

  it('accepts a rule on every catalogue variable, in the rule routes and in validate alike', async () => {
    for (const v of RULE_VARIABLES) {
      const conditions = { '==': [{ var: instance(v.name) }, v.example] };
      const created = await m.request('POST', '/catalogue/rules', { name: v.name, type: 'BLOCK', conditions });
      expect(created.status, v.name).toBe(200);
      expect((await call<Validation>('POST', '/rules/validate', { conditions })).body).toEqual({
        valid: true,
        errors: [],
      });
    }
  });

  it.each(BAD)('refuses %s with the message the rule route gives', async (_, conditions) => {
    const route = await m.request('POST', '/catalogue/rules', { name: 'bad', type: 'BLOCK', priority: 0, conditions });
    expect(route.status).toBe(400);
    const res = await call<Validation>('POST', '/rules/validate', { conditions });
    expect(res.status).toBe(200);
    expect(res.body.valid).toBe(false);
    expect(res.body.errors[0]?.message).toBe(route.body.errorDescription);
    // A PATCH of an existing rule refuses it with the same words.
    const rule = await m.createRule('catalogue', { name: 'ok', type: 'ALLOW', conditions: { '==': [1, 1] } });
    const patched = await m.request('PATCH', `/catalogue/rules/${rule.ruleId}`, { conditions });
    expect(patched.body.errorDescription).toBe(route.body.errorDescription);
  });

  it('lists every problem with the JSON Pointer of where it is', async () => {
    const conditions = {
      and: [{ '==': [{ var: 'ip.isAnonymous' }, true] }, { frobnicate: [1] }, { '>': [{ var: 'custom.amount' }, 1] }],
    };
    const res = await call<Validation>('POST', '/rules/validate', { conditions });
    expect(res.body).toEqual({
      valid: false,
      errors: [
        {
          path: '/and/0/==/0/var',
          message: expect.stringMatching(/^conditions: Unknown variable "ip\.isAnonymous"\. Known: action\.code, /),
        },
        { path: '/and/1/frobnicate', message: 'conditions are not valid JsonLogic: Unknown Operator "frobnicate"' },
      ],
    });
  });

  it('says conditions are required when there are none', async () => {
    const res = await call<Validation>('POST', '/rules/validate', {});
    expect(res.body).toEqual({ valid: false, errors: [{ path: '', message: 'conditions are required (JsonLogic)' }] });
  });
});
