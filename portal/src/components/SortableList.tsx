import {
  closestCenter,
  DndContext,
  type DragEndEvent,
  KeyboardSensor,
  PointerSensor,
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
  const onDragEnd = ({ active, over }: DragEndEvent) => {
    if (!over || active.id === over.id) return;
    onReorder(arrayMove(items, ids.indexOf(String(active.id)), ids.indexOf(String(over.id))));
  };
  return (
    <DndContext sensors={sensors} collisionDetection={closestCenter} onDragEnd={onDragEnd}>
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
