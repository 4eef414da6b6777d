import type { Db } from '../../storage/db.js';
import { ActionActivityQueries } from '../actions/activity-queries.js';
import { ChallengeActivityQueries } from '../challenges/activity-queries.js';
import { UserSearch } from '../users/search.js';

/** The read models the activity pages compose, each on its own module's tables. */
export interface ActivityReads {
  users: UserSearch;
  actions: ActionActivityQueries;
  challenges: ChallengeActivityQueries;
}

export function createActivityReads(db: Db): ActivityReads {
  return {
    users: new UserSearch(db),
    actions: new ActionActivityQueries(db),
    challenges: new ChallengeActivityQueries(db),
  };
}
