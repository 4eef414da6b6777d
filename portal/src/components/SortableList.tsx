import {
  type Announcements,
  type CollisionDetection,
  closestCenter,
  DndContext,
  type DragEndEvent,
  KeyboardSensor,
  PointerSensor,
  type UniqueIdentifier,
  useSensor,
  useSensors,
} from '@dnd-kit/core';
import {
  arrayMove,
  SortableContext,
  sortableKeyboardCoordinates,
  useSortable,
  verticalListSortingStrategy,
} from '@dnd-kit/sortable';
import { CSS } from '@dnd-kit/utilities';
import { ActionIcon, Group, Paper } from '@mantine/core';
import type { ReactNode } from 'react';

const INSTRUCTIONS =
  'To move an item, press Space to pick it up, the arrow keys to move it, Space again to drop it, or Escape to cancel.';

/**
 * Which row the dragged one is over. By keyboard, dnd-kit moves the dragged row's top onto an earlier
 * row's top, or its bottom onto a later row's bottom; rows of different heights (a provider's form
 * beside a one-line provider) then have their centres far apart, so closest-centre would keep a tall
 * row over itself. Match the edge it aligned instead; a pointer drag keeps closest-centre.
 */
const alignedEdge: CollisionDetection = ({ collisionRect, droppableRects, droppableContainers }) =>
  droppableContainers
    .flatMap((container) => {
      const rect = droppableRects.get(container.id);
      if (!rect) return [];
      const value = Math.min(
        Math.abs(rect.top - collisionRect.top),
        Math.abs(rect.bottom - (collisionRect.top + collisionRect.height)),
      );
      return [{ id: container.id, data: { droppableContainer: container, value } }];
    })
    .sort((a, b) => a.data.value - b.data.value);
const collisionDetection: CollisionDetection = (args) =>
  args.pointerCoordinates ? closestCenter(args) : alignedEdge(args);

interface Props<T> {
  items: T[];
  idOf(item: T): string;
  /** What the drag handle says to a screen reader: "Move Twilio". */
  labelOf(item: T): string;
  onReorder(items: T[]): void;
  children(item: T, index: number): ReactNode;
}

/**
 * A list reordered by dragging its handles, with the mouse or the keyboard (focus a handle, Space to
 * pick up, arrows to move, Space to drop, Escape to cancel); dnd-kit announces each step.
 */
export function SortableList<T>({ items, idOf, labelOf, onReorder, children }: Props<T>) {
  const sensors = useSensors(
    useSensor(PointerSensor, { activationConstraint: { distance: 4 } }),
    useSensor(KeyboardSensor, { coordinateGetter: sortableKeyboardCoordinates }),
  );
  const ids = items.map(idOf);
  // What a screen reader hears, by label and position rather than dnd-kit's internal IDs.
  const nameOf = (id: UniqueIdentifier) => {
    const item = items[ids.indexOf(String(id))];
    return item === undefined ? String(id) : labelOf(item);
  };
  const positionOf = (id: UniqueIdentifier | undefined) => `position ${ids.indexOf(String(id)) + 1} of ${ids.length}`;
  const announcements: Announcements = {
    onDragStart: ({ active }) => `Picked up ${nameOf(active.id)}, at ${positionOf(active.id)}.`,
    onDragOver: ({ active, over }) => (over ? `${nameOf(active.id)} is over ${positionOf(over.id)}.` : undefined),
    onDragEnd: ({ active, over }) => `${nameOf(active.id)} dropped at ${positionOf(over?.id ?? active.id)}.`,
    onDragCancel: ({ active }) => `Moving ${nameOf(active.id)} was cancelled.`,
  };
  const onDragEnd = ({ active, over }: DragEndEvent) => {
    if (!over || active.id === over.id) return;
    onReorder(arrayMove(items, ids.indexOf(String(active.id)), ids.indexOf(String(over.id))));
  };
  return (
    <DndContext
      sensors={sensors}
      collisionDetection={collisionDetection}
      onDragEnd={onDragEnd}
      accessibility={{ announcements, screenReaderInstructions: { draggable: INSTRUCTIONS } }}
    >
      <SortableContext items={ids} strategy={verticalListSortingStrategy}>
        <ol className="sigil-sortable">
          {items.map((item, index) => (
            <SortableRow key={ids[index]} id={ids[index] as string} label={labelOf(item)}>
              {children(item, index)}
            </SortableRow>
          ))}
        </ol>
      </SortableContext>
    </DndContext>
  );
}

function SortableRow({ id, label, children }: { id: string; label: string; children: ReactNode }) {
  const { attributes, listeners, setNodeRef, setActivatorNodeRef, transform, transition, isDragging } = useSortable({
    id,
  });
  return (
    <li ref={setNodeRef} style={{ transform: CSS.Transform.toString(transform), transition }}>
      <Paper withBorder p="sm" mb="xs" shadow={isDragging ? 'md' : undefined}>
        <Group wrap="nowrap" align="flex-start">
          <ActionIcon
            variant="subtle"
            color="gray"
            ref={setActivatorNodeRef}
            {...attributes}
            {...listeners}
            aria-label={`Move ${label}`}
            aria-roledescription="sortable handle"
            style={{ cursor: 'grab', touchAction: 'none' }}
            data-testid="drag-handle"
          >
            <span aria-hidden="true">⠿</span>
          </ActionIcon>
          <div style={{ flex: 1, minWidth: 0 }}>{children}</div>
        </Group>
      </Paper>
    </li>
  );
}
