/* State that a type change must carry across an update: a linked list, hash
 * chains in a global array, a binary tree, an array of structs from calloc,
 * a changed type nested by value in another, a union, and pointers into
 * relocated objects held by heap objects and by globals. v2 widens and adds
 * fields; every value must survive. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dsu.h>

struct point {
  int x, y;
};

struct node { /* unchanged text, but holds a changed type by value */
  struct point p;
  struct node *next;
};

struct tree {
  int key;
  struct tree *left, *right;
};

union val {
  int i;
  float f;
};

struct rec {
  union val v;
  int tag;
};

static struct node *list;
static struct node *buckets[8];
static struct tree *root;
static struct point *pts;
static int npts;
static struct point *favorite; /* points at pts[2] */
static struct node *last_added; /* points into the list */
static struct rec recs[3];

static struct tree *insert(struct tree *t, int key) {
  if (!t) {
    t = calloc(1, sizeof(struct tree));
    t->key = key;
    return t;
  }
  if (key < t->key)
    t->left = insert(t->left, key);
  else
    t->right = insert(t->right, key);
  return t;
}

static void build(void) {
  for (int i = 1; i <= 5; i++) {
    struct node *n = malloc(sizeof *n);
    n->p.x = i;
    n->p.y = i * i;
    n->next = list;
    list = n;
    last_added = n;
    struct node *b = malloc(sizeof(struct node));
    b->p.x = i * 100;
    b->p.y = -i;
    b->next = buckets[i % 8];
    buckets[i % 8] = b;
  }
  int keys[] = {50, 30, 70, 20, 40, 60, 80};
  for (int i = 0; i < 7; i++)
    root = insert(root, keys[i]);
  npts = 4;
  pts = calloc(npts, sizeof(struct point));
  for (int i = 0; i < npts; i++) {
    pts[i].x = 10 + i;
    pts[i].y = 20 + i;
  }
  favorite = &pts[2];
  recs[0].v.i = 7;
  recs[0].tag = 1;
  recs[1].v.f = 2.5f;
  recs[1].tag = 2;
  recs[2].v.i = -1;
  recs[2].tag = 3;
}

static int walk(const struct tree *t, char *out) {
  if (!t)
    return 0;
  int n = walk(t->left, out);
  n += sprintf(out + strlen(out), "%d ", t->key);
  return n + walk(t->right, out);
}

static void show(void) {
  printf("list:");
  for (struct node *n = list; n; n = n->next)
    printf(" (%d,%d)", n->p.x, n->p.y);
  printf("\nbuckets:");
  for (int i = 0; i < 8; i++)
    for (struct node *n = buckets[i]; n; n = n->next)
      printf(" %d:(%d,%d)", i, n->p.x, n->p.y);
  char keys[256] = "";
  walk(root, keys);
  printf("\ntree: %s\npts:", keys);
  for (int i = 0; i < npts; i++)
    printf(" (%d,%d)", pts[i].x, pts[i].y);
  printf("\nfavorite: (%d,%d) last: (%d,%d)\n", favorite->x, favorite->y,
         last_added->p.x, last_added->p.y);
  printf("recs: %d %.1f %d tags %d %d %d\n", recs[0].v.i, recs[1].v.f,
         recs[2].v.i, recs[0].tag, recs[1].tag, recs[2].tag);
}

static void handle(const char *line) {
  if (line[0] == 'b')
    build();
  else if (line[0] == 's')
    show();
  else if (line[0] == 'f')
    favorite->x += 1000; /* the pointer must reach the relocated array */
}

/* main holds no pointer to any of the changed types across the update. */
int main(void) {
  char line[64];
  setvbuf(stdout, NULL, _IOLBF, 0);
  while (fgets(line, sizeof line, stdin)) {
    DSU_UPDATE_POINT();
    handle(line);
  }
  return 0;
}
