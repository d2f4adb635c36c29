/** How many items each page of an iterator asks for. */
export const ITERATE_PAGE_SIZE = 100;

/**
 * Walks an offset-paginated list: yields every item from `start` on, one page at a time.
 * Bounded: it stops at an empty or short page, or once `offset` reaches the latest `total`, and each
 * page advances the offset by at least one item, so it can never loop forever.
 * Offset pages are not a snapshot: items created or changed while iterating may be missed or seen twice.
 */
export async function* paginate<TItem, TPage extends { total: number }>(
  fetchPage: (offset: number, limit: number) => Promise<TPage>,
  itemsOf: (page: TPage) => TItem[],
  start: number,
  limit: number,
): AsyncGenerator<TItem, void, undefined> {
  let offset = start;
  for (;;) {
    const page = await fetchPage(offset, limit);
    const items = itemsOf(page);
    for (const item of items) yield item;
    offset += items.length;
    if (items.length === 0 || items.length < limit || offset >= page.total) return;
  }
}
