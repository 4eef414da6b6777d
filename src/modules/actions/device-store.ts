import type { Db } from '../../storage/db.js';

/** The devices each user has been seen with, for the `device.isNew` rule variable. */
export class DeviceStore {
  constructor(private readonly db: Db) {}

  /** Records a sighting; true when this user had never been seen with this device before. */
  async touch(tenantId: string, userId: string, deviceId: string, now: number): Promise<boolean> {
    const row = await this.db
      .insertInto('devices')
      .values({ tenant_id: tenantId, user_id: userId, device_id: deviceId, first_seen_at: now, last_seen_at: now })
      .onConflict((oc) => oc.columns(['tenant_id', 'user_id', 'device_id']).doUpdateSet({ last_seen_at: now }))
      .returning('first_seen_at')
      .executeTakeFirstOrThrow();
    return row.first_seen_at === now;
  }
}
