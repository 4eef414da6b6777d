import type { Db } from '../../storage/db.js';

/** The devices each user has been seen with, for the `device.isNew` rule variable. */
export class DeviceStore {
  constructor(private readonly db: Db) {}

  /** Records a sighting; true when this user had never been seen with this device before. */
  async touch(tenantId: string, userId: string, deviceId: string, now: number): Promise<boolean> {
    // Insert-or-nothing tells a first sighting apart exactly, even two sightings in one millisecond.
    const inserted = await this.db
      .insertInto('devices')
      .values({ tenant_id: tenantId, user_id: userId, device_id: deviceId, first_seen_at: now, last_seen_at: now })
      .onConflict((oc) => oc.columns(['tenant_id', 'user_id', 'device_id']).doNothing())
      .returning('first_seen_at')
      .executeTakeFirst();
    if (inserted) return true;
    await this.db
      .updateTable('devices')
      .set({ last_seen_at: now })
      .where('tenant_id', '=', tenantId)
      .where('user_id', '=', userId)
      .where('device_id', '=', deviceId)
      .execute();
    return false;
  }

  /** Deletes the devices the user was seen with (deleteUser, in its transaction). */
  async deleteForUser(tenantId: string, userId: string): Promise<void> {
    await this.db.deleteFrom('devices').where('tenant_id', '=', tenantId).where('user_id', '=', userId).execute();
  }
}
