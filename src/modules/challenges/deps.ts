import type { Config } from '../../config.js';
import type { Clock } from '../../lib/clock.js';
import type { Keyring } from '../../lib/crypto.js';
import type { Random } from '../../lib/random.js';
import type { Db } from '../../storage/db.js';
import type { ActionStore } from '../actions/store.js';
import type { SmsDispatcher } from '../sms/dispatcher.js';
import type { MessageSettingsService } from '../sms/templates/settings.js';
import type { TokenService } from '../tokens/service.js';
import type { UserService } from '../users/service.js';
import type { ChallengeStore } from './store.js';

export interface ChallengeDeps {
  db: Db;
  config: Config;
  clock: Clock;
  random: Random;
  keyring: Keyring;
  challenges: ChallengeStore;
  actions: ActionStore;
  users: UserService;
  sms: SmsDispatcher;
  messages: MessageSettingsService;
  tokens: TokenService;
}
