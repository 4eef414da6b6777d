import { PageTitle } from '../../components/common';

export default function ActionsPage() {
  return <PageTitle>ActionsPage</PageTitle>;
}
